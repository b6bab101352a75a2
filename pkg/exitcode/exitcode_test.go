package exitcode

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestOfAndHint(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name string
		err  error
		code int
		hint string
	}{
		{"nil", nil, OK, ""},
		{"plain", base, Failure, ""},
		{"coded", New(Refused, base, "check keys"), Refused, "check keys"},
		{"wrapped", fmt.Errorf("assume: %w", New(Unreachable, base, "doctor")), Unreachable, "doctor"},
		{"outer code wins", New(Config, New(Refused, base, "inner"), ""), Config, "inner"},
		{"outer hint wins", New(Config, New(Refused, base, "inner"), "outer"), Config, "outer"},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), Interrupted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.err); got != tt.code {
				t.Errorf("Of = %d, want %d", got, tt.code)
			}
			if got := HintOf(tt.err); got != tt.hint {
				t.Errorf("HintOf = %q, want %q", got, tt.hint)
			}
		})
	}
	if New(Usage, nil, "x") != nil {
		t.Error("New with a nil error is not nil")
	}
	if !errors.Is(New(Usage, base, ""), base) {
		t.Error("Error does not unwrap")
	}
}

func TestDefault(t *testing.T) {
	base := errors.New("boom")
	if got := Default(Config, base, "fix it"); Of(got) != Config || HintOf(got) != "fix it" {
		t.Errorf("an uncoded error: code %d, hint %q", Of(got), HintOf(got))
	}
	coded := fmt.Errorf("read: %w", New(Failure, base, "retry"))
	if got := Default(Config, coded, "fix it"); got != coded {
		t.Errorf("an error with a code, even Failure, was rewrapped: %v", got)
	}
	if Default(Config, nil, "x") != nil {
		t.Error("Default(nil) is not nil")
	}
}
