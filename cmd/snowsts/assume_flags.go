package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/profile"
)

// roleFlags are "the assume flags" of the contract, shared by assume, env,
// exec, credential-process and configure role.
type roleFlags struct {
	roleARN     string
	sessionName string
	duration    int
}

func (r *roleFlags) add(cmd *cobra.Command) {
	r.addTo(cmd.Flags())
	registerDurationCompletion(cmd)
}

// registerDurationCompletion offers the usual session lengths for --duration-seconds.
func registerDurationCompletion(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("duration-seconds", cobra.FixedCompletions([]string{"900", "3600", "14400", "43200"}, cobra.ShellCompDirectiveNoFileComp))
}

// addTo defines the flags in fl: the command's flag set, or the one the warm
// credential-process path parses before cobra is set up (warm.go).
func (r *roleFlags) addTo(fl *pflag.FlagSet) {
	fl.StringVar(&r.roleARN, "role-arn", "", "`ARN` of the role to assume, e.g. arn:aws:iam::123456789012:role/admin")
	fl.StringVar(&r.sessionName, "role-session-name", "", "session `NAME` (default snowsts-<user>)")
	fl.IntVar(&r.duration, "duration-seconds", device.DefaultDurationSeconds, "session length in `SECONDS`, 900 to 43200")
}

// given reports whether any of the assume flags was set.
func (r *roleFlags) given(cmd *cobra.Command) bool {
	fl := cmd.Flags()
	return fl.Changed("role-arn") || fl.Changed("role-session-name") || fl.Changed("duration-seconds")
}

// role validates the flags (exit 2, before any network call) and fills in the
// default session name.
func (r *roleFlags) role(f *factory) (profile.Role, error) {
	if err := device.ValidateRoleARN(r.roleARN); err != nil {
		return profile.Role{}, err
	}
	name := r.sessionName
	if name == "" {
		name = device.DefaultSessionName(f.userName())
	}
	if err := device.ValidateSessionName(name); err != nil {
		return profile.Role{}, err
	}
	if err := device.ValidateDuration(r.duration); err != nil {
		return profile.Role{}, err
	}
	return profile.Role{DeviceProfile: f.profile, RoleARN: r.roleARN, SessionName: name, DurationSeconds: r.duration}, nil
}
