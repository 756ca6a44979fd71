"""github: pull requests, issues, comments and reviews through the GitHub REST API (an official acc plugin).

The plugin's logic as plain Python, importable anywhere: `client` (requests, errors,
paging) over a transport the caller gives (the `http` capability in the component, the
host's own http code in tests), `inputs` (checks of what a caller gives), `shapes` (what
GitHub answers, cut down to what an agent needs). `github_plugin` (beside this package)
registers the commands.
"""
