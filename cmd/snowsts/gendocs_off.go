//go:build !gendocs

package main

import "github.com/spf13/cobra"

// extraCommands is empty in the binary users run; a build with -tags gendocs
// adds the hidden docs generator (gendocs.go).
func extraCommands(*factory) []*cobra.Command { return nil }
