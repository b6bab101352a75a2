//go:build !(linux || darwin)

package main

// inForeground reports whether snowsts is in its terminal's foreground
// process group; where that cannot be told, it says no, so that signals are
// always passed on.
func inForeground() bool { return false }
