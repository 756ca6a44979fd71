"""Test plugin: one question to Claude through the host's llm capability."""

import acc_plugin
from acc_plugin import PluginError


@acc_plugin.command("ask")
def ask(question, max_tokens=None, model=None):
    request = {"messages": [{"role": "user", "content": question}]}
    if max_tokens is not None:
        request["max_tokens"] = max_tokens
    if model is not None:
        request["model"] = model
    try:
        response = acc_plugin.llm.complete(request)
    except PluginError as e:
        return {"ok": False, "kind": e.kind, "error": str(e)}
    answer = "".join(block.get("text", "") for block in response["content"] if block.get("type") == "text")
    return {"ok": True, "answer": answer, "usage": response["usage"]}
