"""Background work of `leadrouter serve`: the scheduler and the jobs it runs."""
