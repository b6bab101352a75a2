//go:build gendocs

// The generator is built only with -tags gendocs (see .ci/generated), so that
// cobra/doc and its markdown and YAML dependencies stay out of the snowsts
// binary users run: their package initialisation would cost every
// credential-process call a third of a millisecond.

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// Generated output lives in these directories under the repository root.
const (
	completionsDir = "completions"
	manDir         = "docs/man"
	cliDir         = "docs/cli"
)

// extraCommands are the commands of a gendocs build.
func extraCommands(f *factory) []*cobra.Command { return []*cobra.Command{newGenDocsCmd(f)} }

func newGenDocsCmd(f *factory) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    "gendocs",
		Short:  "Regenerate the completion scripts, man pages and CLI reference",
		Hidden: true,
		Long: `Regenerate, from this binary, every generated file of the repository:
completions/snowsts.{bash,zsh,fish,ps1} (exactly what "snowsts completion SHELL"
prints), docs/man/*.1 (one man page a command) and docs/cli/*.md (the markdown
CLI reference). Files of commands that no longer exist are removed.

The output does not depend on the environment, the clock or the version, so
that CI can regenerate and fail when a committed file is stale (.ci/generated).`,
		Example: `  go run -tags gendocs ./cmd/snowsts gendocs --dir .
  .ci/generated`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := genDocs(dir); err != nil {
				return exitcode.New(exitcode.Failure, fmt.Errorf("generate docs in %s: %w", dir, err), "")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "repository root to write into")
	return cmd
}

// genDocs writes every generated file under dir.
func genDocs(dir string) error {
	files := map[string][]byte{}
	for shell, name := range completionFiles {
		var out bytes.Buffer
		root := docsRoot(&out)
		root.SetArgs([]string{"completion", shell})
		if err := root.Execute(); err != nil {
			return fmt.Errorf("completion %s: %w", shell, err)
		}
		files[filepath.Join(completionsDir, name)] = out.Bytes()
	}
	var discard bytes.Buffer
	root := docsRoot(&discard)
	if err := genCommandDocs(root, files); err != nil {
		return err
	}
	for _, d := range []struct{ dir, ext string }{{manDir, ".1"}, {cliDir, ".md"}, {completionsDir, ""}} {
		if err := removeGenerated(filepath.Join(dir, d.dir), d.ext); err != nil {
			return err
		}
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// genCommandDocs renders the man page and the markdown page of c and of every
// available command below it.
func genCommandDocs(c *cobra.Command, files map[string][]byte) error {
	for _, sub := range c.Commands() {
		if !sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := genCommandDocs(sub, files); err != nil {
			return err
		}
	}
	base := strings.ReplaceAll(c.CommandPath(), " ", "_")
	var md bytes.Buffer
	if err := doc.GenMarkdownCustom(c, &md, func(s string) string { return s }); err != nil {
		return fmt.Errorf("markdown for %q: %w", c.CommandPath(), err)
	}
	files[filepath.Join(cliDir, base+".md")] = md.Bytes()

	var man bytes.Buffer
	zero := time.Time{}
	header := &doc.GenManHeader{Title: strings.ToUpper(strings.ReplaceAll(c.CommandPath(), " ", "-")),
		Section: "1", Date: &zero, Source: "snowsts", Manual: "snowsts manual"}
	if err := doc.GenMan(c, header, &man); err != nil {
		return fmt.Errorf("man page for %q: %w", c.CommandPath(), err)
	}
	// No date in the page: it would make every regeneration differ.
	page := bytes.Replace(man.Bytes(), []byte(`"`+zero.Format("Jan 2006")+`"`), []byte(`""`), 1)
	files[filepath.Join(manDir, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")] = page
	return nil
}

// removeGenerated deletes the generated files in dir (those ending in ext, or
// the completion scripts when ext is empty), so that a removed command leaves
// no page behind. A missing dir is fine.
func removeGenerated(dir, ext string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		gen := ext != "" && strings.HasSuffix(name, ext)
		if ext == "" {
			for _, c := range completionFiles {
				gen = gen || name == c
			}
		}
		if gen && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return err
			}
		}
	}
	return nil
}
