package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// currentFile is the name of the current-session record in the cache directory.
const currentFile = "current.json"

// ErrNoCurrent is returned by Current when no session has been recorded as current.
var ErrNoCurrent = errors.New("no current session")

// Current is the session `snowsts assume` last wrote: its target profile, and what it
// takes to assume it again once it has expired.
type Current struct {
	TargetProfile   string `json:"TargetProfile"`
	DeviceProfile   string `json:"DeviceProfile"`
	RoleARN         string `json:"RoleArn"`
	SessionName     string `json:"RoleSessionName"`
	DurationSeconds int32  `json:"DurationSeconds"`
}

func (c *Cache) currentPath() string { return filepath.Join(c.Dir, currentFile) }

// SetCurrent records cur as the current session, atomically.
func (c *Cache) SetCurrent(cur Current) error {
	if cur.TargetProfile == "" {
		return errors.New("record current session: no target profile")
	}
	b, err := json.MarshalIndent(cur, "", "  ")
	if err != nil {
		return fmt.Errorf("record current session: %w", err)
	}
	if err := ensureDir(c.Dir); err != nil {
		return fmt.Errorf("record current session: %w", err)
	}
	if err := writeFileAtomic(c.currentPath(), append(b, '\n')); err != nil {
		return fmt.Errorf("record current session: %w", err)
	}
	return nil
}

// Current returns the current session, or an error wrapping ErrNoCurrent when none has
// been recorded. A damaged record is a configuration error (exit code Config).
func (c *Cache) Current() (*Current, error) {
	b, err := readSmall(c.currentPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read current session: %w", ErrNoCurrent)
	}
	if err != nil {
		return nil, fmt.Errorf("read current session: %w", err)
	}
	var cur Current
	if err := json.Unmarshal(b, &cur); err != nil || cur.TargetProfile == "" {
		return nil, exitcode.New(exitcode.Config,
			fmt.Errorf("read current session %s: not a valid record", c.currentPath()),
			"run `snowsts assume` again, or `snowsts clear --all`")
	}
	return &cur, nil
}

// ClearCurrent forgets the current session; none recorded is not an error.
func (c *Cache) ClearCurrent() error {
	if err := os.Remove(c.currentPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clear current session: %w", err)
	}
	return nil
}
