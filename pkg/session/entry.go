package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// FormatVersion is the version of the cache file format this package reads and writes. A
// file with another version is a miss (and is replaced on the next fetch).
const FormatVersion = 1

// timeLayout is the one form every stored or printed time takes: UTC, RFC 3339, no fraction.
const timeLayout = "2006-01-02T15:04:05Z"

// Credentials are temporary credentials from AssumeRole.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// Entry is one cached session: the credentials and what `status` needs to describe them.
type Entry struct {
	Version        int     // file format version; Put sets it to FormatVersion
	Key            KeyInfo // the session's key, secret-free; Put sets it from the Key
	Profile        string  // the device profile the session was assumed through, e.g. "snow"
	AssumedRoleARN string  // AssumedRoleUser.Arn from the device
	AssumedRoleID  string  // AssumedRoleUser.AssumedRoleId from the device
	Credentials    Credentials
	Obtained       time.Time // when the device issued the credentials; Put fills in now when zero
}

// Remaining returns how long e's credentials stay valid after now (negative once expired).
func (e *Entry) Remaining(now time.Time) time.Duration {
	return e.Credentials.Expiration.Sub(now)
}

// ID returns the cache id of the entry's key.
func (e *Entry) ID() string { return e.Key.ID() }

// fileEntry is the on-disk form of an Entry. Times are strings so that the file holds
// exactly the contract's form (UTC, no fraction) whatever the Go encoder would do.
type fileEntry struct {
	Version        int             `json:"Version"`
	Key            KeyInfo         `json:"Key"`
	Profile        string          `json:"Profile,omitempty"`
	AssumedRoleARN string          `json:"AssumedRoleArn,omitempty"`
	AssumedRoleID  string          `json:"AssumedRoleId,omitempty"`
	Credentials    fileCredentials `json:"Credentials"`
	Obtained       string          `json:"Obtained"`
}

type fileCredentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
}

// formatTime renders t in the contract's form. Sub-second parts are dropped (an expiry is
// never rounded up).
func formatTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(timeLayout) }

// parseTime reads an RFC 3339 time and returns it in UTC.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// normalize returns a copy of e in the form it takes once stored: times UTC, whole seconds.
func normalize(e *Entry) *Entry {
	n := *e
	n.Credentials.Expiration = e.Credentials.Expiration.UTC().Truncate(time.Second)
	n.Obtained = e.Obtained.UTC().Truncate(time.Second)
	return &n
}

// errInvalidEntry reports an entry that may not be stored or was not stored by us. Its
// messages name the missing field, never a value.
var errInvalidEntry = errors.New("invalid session entry")

// validate checks that e is complete enough to hand out.
func validate(e *Entry) error {
	switch {
	case e.Version != FormatVersion:
		return fmt.Errorf("%w: format version %d, want %d", errInvalidEntry, e.Version, FormatVersion)
	case e.Credentials.AccessKeyID == "":
		return fmt.Errorf("%w: no access key id", errInvalidEntry)
	case e.Credentials.SecretAccessKey == "":
		return fmt.Errorf("%w: no secret access key", errInvalidEntry)
	case e.Credentials.SessionToken == "":
		return fmt.Errorf("%w: no session token", errInvalidEntry)
	case e.Credentials.Expiration.IsZero():
		return fmt.Errorf("%w: no expiration", errInvalidEntry)
	}
	return nil
}

// encodeEntry renders e as a cache file.
func encodeEntry(e *Entry) ([]byte, error) {
	f := fileEntry{
		Version:        e.Version,
		Key:            e.Key,
		Profile:        e.Profile,
		AssumedRoleARN: e.AssumedRoleARN,
		AssumedRoleID:  e.AssumedRoleID,
		Credentials: fileCredentials{
			AccessKeyID:     e.Credentials.AccessKeyID,
			SecretAccessKey: e.Credentials.SecretAccessKey,
			SessionToken:    e.Credentials.SessionToken,
			Expiration:      formatTime(e.Credentials.Expiration),
		},
		Obtained: formatTime(e.Obtained),
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		// Unreachable for this struct of strings and ints; say what failed, not the value.
		return nil, fmt.Errorf("encode session entry: %T", err)
	}
	return append(b, '\n'), nil
}

// decodeEntry parses a cache file and checks that it is a complete entry of the current
// format. Its errors never quote the file's content.
func decodeEntry(b []byte) (*Entry, error) {
	var f fileEntry
	if err := json.Unmarshal(b, &f); err != nil {
		// json errors can quote the input (and so a secret); keep only their kind.
		return nil, fmt.Errorf("%w: not a JSON session entry (%T)", errInvalidEntry, err)
	}
	if f.Version != FormatVersion {
		return nil, fmt.Errorf("%w: format version %d, want %d", errInvalidEntry, f.Version, FormatVersion)
	}
	exp, err := parseTime(f.Credentials.Expiration)
	if err != nil {
		return nil, fmt.Errorf("%w: bad expiration time", errInvalidEntry)
	}
	var obtained time.Time
	if f.Obtained != "" {
		if obtained, err = parseTime(f.Obtained); err != nil {
			return nil, fmt.Errorf("%w: bad obtained time", errInvalidEntry)
		}
	}
	e := &Entry{
		Version:        f.Version,
		Key:            f.Key,
		Profile:        f.Profile,
		AssumedRoleARN: f.AssumedRoleARN,
		AssumedRoleID:  f.AssumedRoleID,
		Credentials: Credentials{
			AccessKeyID:     f.Credentials.AccessKeyID,
			SecretAccessKey: f.Credentials.SecretAccessKey,
			SessionToken:    f.Credentials.SessionToken,
			Expiration:      exp,
		},
		Obtained: obtained,
	}
	if err := validate(e); err != nil {
		return nil, err
	}
	return e, nil
}
