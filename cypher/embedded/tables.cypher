// The tables of a graph file: a file written by an older kg lacks the newer labels'
// (the status layer's), which its reads then skip.
CALL show_tables() RETURN name
