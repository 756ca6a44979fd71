"""Claude working on a project through installed plugins (`acc agent`).

    tools.py       plugin commands -> Messages API tools (`plugin__command`), and running one
    budget.py      turns, tokens, wall time and tool calls: what a run may spend
    transcript.py  the JSONL record of a run
    client.py      the `anthropic` client from the environment, and its errors in words
    loop.py        the tool-use loop

The model acts only through tools, and every tool call runs in the plugin's sandbox
under the user's grants: the agent can do nothing the grants do not allow.
"""
