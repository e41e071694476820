"""SWE-style coding tasks: the sandboxed workspace, the routed agent graph, the runner and evaluation."""
