"""Claude working on a project through installed plugins (`acc agent`).

    budget.py      turns, tokens, wall time and tool calls: what a run may spend
    transcript.py  the JSONL record of a run
    loop.py        the tool-use loop
    commit.py      --commit: the run's changes committed through the git plugin, message by the model
    plan.py        a plan of tasks, run in dependency and priority order
    config.py      the [agent] table of ACC_HOME/config.toml
    session.py     what the runs of one command share; wiring and running one task

The model acts only through tools (plugin commands as `plugin__command`, made and run by
`host/tools.py`, which the MCP server shares), and every tool call runs in the plugin's sandbox
under the user's grants: the agent can do nothing the grants do not allow. The Messages
client and DEFAULT_MODEL live below the runner and the agent, in host/messages.py.
"""
