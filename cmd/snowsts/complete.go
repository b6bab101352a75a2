package main

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/profile"
)

// roleListTimeout bounds the device's ListRoles call made while the shell
// waits for completions: a device that does not answer quickly is skipped.
const roleListTimeout = 2 * time.Second

// completeProfiles completes profile names from the AWS config file: every
// `[profile X]` and `[default]`, with the kind snowsts wrote (device, assumed,
// process) as the description. A missing or malformed file completes nothing.
func (f *factory) completeProfiles(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	doc, err := awsfile.Load(f.paths().Config)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, s := range doc.Sections() {
		name, ok := sectionProfile(s)
		if !ok || !strings.HasPrefix(name, toComplete) || validateProfileName(name) != nil {
			continue
		}
		desc := "profile"
		if k, _ := doc.Get(s, profile.KindKey); k != "" && doc.IsManaged(s) {
			desc = k + " profile (snowsts)"
		}
		out = append(out, cobra.CompletionWithDesc(name, desc))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// sectionProfile is the profile a config-file section header names.
func sectionProfile(section string) (string, bool) {
	if section == "default" {
		return "default", true
	}
	name, ok := strings.CutPrefix(section, "profile ")
	name = strings.TrimSpace(name)
	return name, ok && name != ""
}

// completeRoleARNs completes --role-arn with the roles of the cached sessions
// of the --profile device and the roles the device lists (ListRoles through
// its IAM endpoint, bounded by roleListTimeout). Every error is ignored: a
// completion never fails, it only offers less.
func (f *factory) completeRoleARNs(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	seen := map[string]string{} // ARN -> description
	if c, err := f.cache(); err == nil {
		if entries, err := c.List(); err == nil {
			for _, e := range entries {
				if e.Profile == f.profile && e.Key.RoleARN != "" {
					seen[e.Key.RoleARN] = "cached session"
				}
			}
		}
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, roleListTimeout)
	defer cancel()
	if client, err := f.client(ctx); err == nil {
		if roles, err := client.ListRoles(ctx); err == nil {
			for _, r := range roles {
				if _, ok := seen[r.Arn]; !ok && r.Arn != "" {
					seen[r.Arn] = "role on the device"
				}
			}
		}
	}
	arns := make([]string, 0, len(seen))
	for a := range seen {
		if strings.HasPrefix(a, toComplete) {
			arns = append(arns, a)
		}
	}
	sort.Strings(arns)
	out := make([]cobra.Completion, 0, len(arns))
	for _, a := range arns {
		out = append(out, cobra.CompletionWithDesc(a, seen[a]))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// registerCompletions gives every --target-profile flag in the tree the
// profile-name completion and every --role-arn flag the role completion, so
// that commands added later get them too. The completions need the factory
// (files, cache, device), which the shared flag helpers (roleFlags,
// sourceFlags) do not hold; hence one walk over the finished tree. Flags that
// already have a completion function keep it.
func registerCompletions(f *factory, root *cobra.Command) {
	funcs := map[string]cobra.CompletionFunc{
		"target-profile": f.completeProfiles,
		"role-arn":       f.completeRoleARNs,
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, fn := range funcs {
			if c.LocalNonPersistentFlags().Lookup(name) == nil {
				continue
			}
			if _, ok := c.GetFlagCompletionFunc(name); !ok {
				_ = c.RegisterFlagCompletionFunc(name, fn)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completionFiles maps each shell `snowsts completion` supports to the file
// under completions/ that holds its script.
var completionFiles = map[string]string{
	"bash":       "snowsts.bash",
	"zsh":        "snowsts.zsh",
	"fish":       "snowsts.fish",
	"powershell": "snowsts.ps1",
}
