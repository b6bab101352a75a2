package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/profile"
	"github.com/snowsts/snowsts/pkg/session"
)

// current returns the current-session record, nil when there is none. A
// damaged record is returned as an error.
func (b *Broker) current() (*session.Current, error) {
	cur, err := b.Cache.Current()
	if errors.Is(err, session.ErrNoCurrent) {
		return nil, nil
	}
	return cur, err
}

// recordRole is the role session a current-session record names.
func recordRole(cur *session.Current) profile.Role {
	return profile.Role{DeviceProfile: cur.DeviceProfile, RoleARN: cur.RoleARN,
		SessionName: cur.SessionName, DurationSeconds: int(cur.DurationSeconds)}
}

// ClearCurrent removes the current session: its profile (when snowsts wrote
// it; otherwise it is listed in Kept), its cache entries and the record. With
// no current session it removes nothing and returns no error.
func (b *Broker) ClearCurrent(ctx context.Context) (Cleared, error) {
	var c Cleared
	cur, err := b.current()
	if err != nil {
		// A damaged record names nothing we could trust: forget it.
		if cerr := b.Cache.ClearCurrent(); cerr != nil {
			return c, cerr
		}
		c.Current = true
		return c, nil
	}
	if cur == nil {
		return c, nil
	}
	cfg, creds, err := profile.Load(b.Paths)
	if err != nil {
		return c, err
	}
	switch err := profile.CheckRemovable(cfg, creds, cur.TargetProfile); {
	case err == nil:
		removed, err := profile.RemoveManaged(ctx, b.Paths, cur.TargetProfile)
		if err != nil {
			return c, err
		}
		if removed {
			c.Profiles = append(c.Profiles, cur.TargetProfile)
		}
	case !errors.Is(err, profile.ErrNoProfile):
		c.Kept = append(c.Kept, cur.TargetProfile)
	}
	return c, b.finishCurrent(&c, cur)
}

// finishCurrent forgets cur's cache entries and the record itself.
func (b *Broker) finishCurrent(c *Cleared, cur *session.Current) error {
	n, err := b.forget(recordRole(cur))
	c.Sessions += n
	if err != nil {
		return err
	}
	if err := b.Cache.ClearCurrent(); err != nil {
		return err
	}
	c.Current = true
	return nil
}

// ClearProfile removes the managed assumed-role or credential_process profile
// name, the cache entries of the role session it records, and the current
// record when it names it. A device profile or a section snowsts did not
// write is refused (exit code Config) and nothing is removed. A profile in
// neither file is an error too, unless it is the current session (whose
// record and cache entries then go).
func (b *Broker) ClearProfile(ctx context.Context, name string) (Cleared, error) {
	var c Cleared
	cfg, creds, err := profile.Load(b.Paths)
	if err != nil {
		return c, err
	}
	cur, curErr := b.current()
	if curErr != nil {
		b.log().Debug("current session unreadable", "error", curErr)
	}
	isCurrent := cur != nil && cur.TargetProfile == name
	check := profile.CheckRemovable(cfg, creds, name)
	if check != nil && !(errors.Is(check, profile.ErrNoProfile) && isCurrent) {
		return c, check
	}
	if check == nil {
		role, hasRole := roleOf(cfg, name)
		removed, err := profile.RemoveManaged(ctx, b.Paths, name)
		if err != nil {
			return c, err
		}
		if removed {
			c.Profiles = append(c.Profiles, name)
		}
		if hasRole {
			n, err := b.forget(role)
			c.Sessions += n
			if err != nil {
				return c, err
			}
		}
	}
	if isCurrent {
		return c, b.finishCurrent(&c, cur)
	}
	return c, nil
}

// ClearAll removes every managed assumed-role and credential_process profile,
// every cache entry (with stale lock and temp files) and the current record.
// It goes on after a failure and returns every error it met; device profiles
// and sections snowsts did not write are never touched.
func (b *Broker) ClearAll(ctx context.Context) (Cleared, error) {
	var c Cleared
	var errs []error
	cfg, creds, err := profile.Load(b.Paths)
	if err != nil {
		errs = append(errs, err)
	} else {
		for _, name := range profile.ListRemovable(cfg, creds) {
			removed, err := profile.RemoveManaged(ctx, b.Paths, name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if removed {
				c.Profiles = append(c.Profiles, name)
			}
		}
	}
	n, err := b.Cache.RemoveAll()
	c.Sessions = n
	if err != nil {
		errs = append(errs, fmt.Errorf("clear session cache: %w", err))
	}
	if _, err := b.Cache.Prune(); err != nil {
		errs = append(errs, fmt.Errorf("prune session cache: %w", err))
	}
	if _, err := b.Cache.Current(); !errors.Is(err, session.ErrNoCurrent) {
		if err := b.Cache.ClearCurrent(); err != nil {
			errs = append(errs, err)
		} else {
			c.Current = true
		}
	}
	if len(errs) == 1 {
		return c, errs[0]
	}
	if len(errs) > 1 {
		// Keep the first error's exit code for the whole.
		return c, exitcode.New(exitcode.Of(errs[0]), errors.Join(errs...), exitcode.HintOf(errs[0]))
	}
	return c, nil
}
