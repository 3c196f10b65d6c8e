"""The frame around every page: the router's helpers, menu, sidebar, sign-in gate, page header, session state and cached resources."""
