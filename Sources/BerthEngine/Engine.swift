// The engine arrives with issue 3.
