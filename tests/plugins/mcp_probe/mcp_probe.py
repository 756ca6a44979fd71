"""Test plugin for the MCP server: what a client must see while and after a call runs."""

import acc_plugin


@acc_plugin.command("echo")
def echo(**kwargs):
    return {"input": kwargs}


@acc_plugin.command("steps")
def steps(count):
    for step in range(1, count + 1):
        acc_plugin.log.info(f"step {step} of {count}")
        acc_plugin.log.progress(step, count, f"step {step}")
    return {"steps": count}


@acc_plugin.command("levels")
def levels():
    acc_plugin.log.trace("a trace line")
    acc_plugin.log.debug("a debug line")
    acc_plugin.log.info("an info line")
    acc_plugin.log.warn("a warning line")
    acc_plugin.log.error("an error line")
    return {"logged": 5}


@acc_plugin.command("spin")
def spin():
    n = 0
    while True:
        n += 1


@acc_plugin.command("sleep-program")
def sleep_program(seconds):
    out = acc_plugin.process.run("sleep", [seconds])
    return {"status": out.status}


@acc_plugin.command("fetch")
def fetch():
    return {"status": acc_plugin.http.fetch("http://127.0.0.1:1/").status}


@acc_plugin.command("typed")
def typed(kind):
    return {"count": 3} if kind == "good" else {"count": "three"}


@acc_plugin.command("big")
def big(size):
    return "y" * size
