"""profile: profile a project's test or module entry point with cProfile (an official acc plugin).

`ops` runs the host's `cprofile` program (acc's own profiler script around pytest or the
project's module, confined like pytest) through a `run(args)` callable the caller gives,
and `report` turns its JSON into the top functions. `profile_plugin` (beside this
package) registers the commands.
"""
