package profile

import (
	"errors"
	"fmt"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// ErrNoProfile is wrapped by CheckRemovable's error for a profile that is in
// neither file.
var ErrNoProfile = errors.New("no such profile")

// CheckRemovable tells, before anything is written, whether RemoveManaged
// would remove profile name: nil when snowsts wrote it as an assumed-role or
// credential_process profile (or when only its managed temporary credentials
// are left). A device profile, a section snowsts did not write, and a profile
// in neither file are refused with exit code Config.
func CheckRemovable(cfg, creds *awsfile.Doc, name string) error {
	ps := awsfile.ConfigSection(name)
	hint := "`snowsts status` lists the profiles snowsts manages"
	inCfg, inCreds := cfg.Has(ps), creds.Has(name)
	switch {
	case !inCfg && !inCreds:
		return exitcode.New(exitcode.Config, fmt.Errorf("profile %q: %w", name, ErrNoProfile), hint)
	case isDevice(cfg, creds, name):
		return exitcode.New(exitcode.Config, fmt.Errorf("profile %q is a device profile; clear never removes its long-term keys", name),
			"to remove a device profile, edit the AWS files by hand")
	case inCfg:
		if k, _ := cfg.Get(ps, KindKey); cfg.IsManaged(ps) && (k == KindAssumed || k == KindProcess) {
			return nil
		}
	case creds.IsManaged(name):
		if _, ok := creds.Get(name, "aws_session_token"); ok {
			return nil // temporary credentials whose config section is gone
		}
	}
	return exitcode.New(exitcode.Config, fmt.Errorf("profile %q was not written by snowsts; refusing to remove it", name), hint)
}

// isDevice reports whether name is a device profile: the config section says
// so, or the credentials file holds snowsts's long-term keys for it.
func isDevice(cfg, creds *awsfile.Doc, name string) bool {
	ps := awsfile.ConfigSection(name)
	if k, _ := cfg.Get(ps, KindKey); k == KindDevice && cfg.IsManaged(ps) {
		return true
	}
	if !creds.IsManaged(name) {
		return false
	}
	_, hasToken := creds.Get(name, "aws_session_token")
	_, hasKey := creds.Get(name, "aws_access_key_id")
	return hasKey && !hasToken
}

// ListRemovable returns every profile CheckRemovable accepts: the config
// file's in its order, then those left only in the credentials file.
func ListRemovable(cfg, creds *awsfile.Doc) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range cfg.Sections() {
		name, ok := profileName(s)
		if ok && !seen[name] && CheckRemovable(cfg, creds, name) == nil {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, name := range creds.Sections() {
		if !seen[name] && !cfg.Has(awsfile.ConfigSection(name)) && CheckRemovable(cfg, creds, name) == nil {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}
