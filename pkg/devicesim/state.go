package devicesim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
)

// State is what a simulated device knows: its account, its local IAM users with
// their long-term keys, its roles, and the faults switched on at start. It is the
// shape of the --state file of `snowsts simulate`.
type State struct {
	AccountID string `json:"account_id"`
	Users     []User `json:"users"`
	Roles     []Role `json:"roles"`
	Faults    Faults `json:"faults,omitzero"`
}

// User is a local IAM user of the device with its long-term access key and the
// names of the roles it may assume ("*" for all of them).
type User struct {
	Name            string   `json:"name"`
	AccessKeyID     string   `json:"access_key_id"`
	SecretAccessKey string   `json:"secret_access_key"`
	CanAssume       []string `json:"can_assume"`
}

// Role is an IAM role of the device. Path defaults to "/" and MaxSessionDuration
// (seconds) to 3600.
type Role struct {
	Name               string `json:"name"`
	Path               string `json:"path"`
	MaxSessionDuration int    `json:"max_session_duration"`
}

// Default values of a Role's optional fields.
const (
	DefaultRolePath           = "/"
	DefaultMaxSessionDuration = 3600
)

// Session duration limits of STS AssumeRole, in seconds.
const (
	MinSessionDuration = 900
	MaxSessionDuration = 43200
)

// DefaultAccountID is the account of the device DefaultState makes.
const DefaultAccountID = "123456789012"

// ARN returns the role's ARN in account, `arn:aws:iam::<account>:role<path><name>`.
func (r Role) ARN(account string) string {
	path := r.Path
	if path == "" {
		path = DefaultRolePath
	}
	return "arn:aws:iam::" + account + ":role" + path + r.Name
}

// MayAssume reports whether u's can_assume list allows the role named role.
func (u User) MayAssume(role string) bool {
	for _, n := range u.CanAssume {
		if n == "*" || n == role {
			return true
		}
	}
	return false
}

var (
	accountRE    = lazyRegexp(`^[0-9]{12}$`)
	accessKeyRE  = lazyRegexp(`^[A-Z0-9]{16,128}$`)
	iamNameRE    = lazyRegexp(`^[\w+=,.@-]{1,64}$`)
	rolePathRE   = lazyRegexp(`^/([\x21-\x7e]*/)?$`)
	roleNameChar = lazyRegexp(`^[\w+=,.@-]+$`)
)

// LoadState reads and validates a state file. Unknown fields, duplicate user
// names, access keys or role names, bad role paths and out-of-range durations are
// errors that name the offending entry; defaults are filled in.
func LoadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read device state: %w", err)
	}
	st, err := ParseState(data)
	if err != nil {
		return nil, fmt.Errorf("device state %s: %w", path, err)
	}
	return st, nil
}

// ParseState decodes and validates a state document; see LoadState.
func ParseState(data []byte) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var st State
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode: unexpected data after the JSON object")
	}
	if err := st.Validate(); err != nil {
		return nil, err
	}
	return &st, nil
}

// Validate checks st and fills in defaults (role path "/", max session duration
// 3600). Errors never include a secret.
func (st *State) Validate() error {
	if !accountRE.MatchString(st.AccountID) {
		return fmt.Errorf("account_id %q: want 12 digits", st.AccountID)
	}
	if len(st.Users) == 0 {
		return errors.New("users: at least one user is needed")
	}
	roles := make(map[string]bool, len(st.Roles))
	for i := range st.Roles {
		r := &st.Roles[i]
		if !iamNameRE.MatchString(r.Name) || !roleNameChar.MatchString(r.Name) {
			return fmt.Errorf("roles[%d]: name %q: want 1-64 characters of [A-Za-z0-9_+=,.@-]", i, r.Name)
		}
		if roles[r.Name] {
			return fmt.Errorf("roles[%d]: duplicate role name %q", i, r.Name)
		}
		roles[r.Name] = true
		if r.Path == "" {
			r.Path = DefaultRolePath
		}
		if len(r.Path) > 512 || !rolePathRE.MatchString(r.Path) {
			return fmt.Errorf("role %q: path %q: want \"/\" or /a/b/ (printable ASCII, starting and ending with /)", r.Name, r.Path)
		}
		if r.MaxSessionDuration == 0 {
			r.MaxSessionDuration = DefaultMaxSessionDuration
		}
		if r.MaxSessionDuration < 3600 || r.MaxSessionDuration > MaxSessionDuration {
			return fmt.Errorf("role %q: max_session_duration %d: want 3600-43200 seconds", r.Name, r.MaxSessionDuration)
		}
	}
	names := make(map[string]bool, len(st.Users))
	keys := make(map[string]bool, len(st.Users))
	for i, u := range st.Users {
		if !iamNameRE.MatchString(u.Name) {
			return fmt.Errorf("users[%d]: name %q: want 1-64 characters of [A-Za-z0-9_+=,.@-]", i, u.Name)
		}
		if names[u.Name] {
			return fmt.Errorf("users[%d]: duplicate user name %q", i, u.Name)
		}
		names[u.Name] = true
		if !accessKeyRE.MatchString(u.AccessKeyID) {
			return fmt.Errorf("user %q: access_key_id %q: want 16-128 characters of [A-Z0-9]", u.Name, u.AccessKeyID)
		}
		if strings.HasPrefix(u.AccessKeyID, tempKeyPrefix) {
			return fmt.Errorf("user %q: access_key_id %q: the %s prefix is kept for temporary credentials", u.Name, u.AccessKeyID, tempKeyPrefix)
		}
		if keys[u.AccessKeyID] {
			return fmt.Errorf("user %q: duplicate access_key_id %q", u.Name, u.AccessKeyID)
		}
		keys[u.AccessKeyID] = true
		if len(u.SecretAccessKey) < 16 || len(u.SecretAccessKey) > 128 || strings.ContainsFunc(u.SecretAccessKey, func(c rune) bool { return c <= ' ' || c > '~' }) {
			return fmt.Errorf("user %q: secret_access_key: want 16-128 printable ASCII characters without spaces", u.Name)
		}
		for _, n := range u.CanAssume {
			if n != "*" && !roles[n] {
				return fmt.Errorf("user %q: can_assume: no role named %q", u.Name, n)
			}
		}
	}
	if err := st.Faults.validate(); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	return nil
}

// DefaultState makes the device `snowsts simulate` runs without --state: account
// 123456789012, one user "operator" with fresh random keys who may assume every
// role, and three roles:
//
//   - admin (path /, 1 hour max): the everyday role of the device's guides;
//   - operator (path /, 12 hours max): for long sessions and duration tests;
//   - auditor (path /ops/, 1 hour max): shows a role with a path in its ARN.
func DefaultState() (*State, error) {
	akid, err := randomKey("AKIA", 16)
	if err != nil {
		return nil, fmt.Errorf("make default device state: %w", err)
	}
	secret, err := randomSecret()
	if err != nil {
		return nil, fmt.Errorf("make default device state: %w", err)
	}
	return &State{
		AccountID: DefaultAccountID,
		Users: []User{{
			Name: "operator", AccessKeyID: akid, SecretAccessKey: secret, CanAssume: []string{"*"},
		}},
		Roles: []Role{
			{Name: "admin", Path: "/", MaxSessionDuration: 3600},
			{Name: "operator", Path: "/", MaxSessionDuration: 43200},
			{Name: "auditor", Path: "/ops/", MaxSessionDuration: 3600},
		},
	}, nil
}

// clone returns a deep copy of st.
func (st *State) clone() *State {
	c := *st
	c.Users = make([]User, len(st.Users))
	for i, u := range st.Users {
		u.CanAssume = append([]string(nil), u.CanAssume...)
		c.Users[i] = u
	}
	c.Roles = append([]Role(nil), st.Roles...)
	return &c
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string such as "250ms" or "-5m".
type Duration time.Duration

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string ("1.5s", "-10m", "0").
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"250ms\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// lazyRE is a regexp compiled on first use. snowsts links this package for
// `simulate`, and every snowsts process (credential-process above all) would
// otherwise pay for compiling these patterns at start-up.
type lazyRE struct{ get func() *regexp.Regexp }

// lazyRegexp returns expr as a lazyRE; expr must compile.
func lazyRegexp(expr string) lazyRE {
	return lazyRE{get: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
}

// MatchString is regexp.Regexp.MatchString.
func (l lazyRE) MatchString(s string) bool { return l.get().MatchString(s) }
