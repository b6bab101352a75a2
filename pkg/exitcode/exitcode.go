// Package exitcode carries the contract's process exit codes on errors, so that
// packages deep in the call chain can say what class of failure happened and the
// command layer can turn it into the right exit status and one hint line.
package exitcode

import (
	"context"
	"errors"
)

// The exit codes of the command-line contract.
const (
	OK          = 0   // success
	Failure     = 1   // any other failure
	Usage       = 2   // bad flag or input, detected before any network call
	Config      = 3   // missing or malformed profile or file, unmanaged section without --force
	Refused     = 4   // the device answered with an error document
	Unreachable = 5   // the device could not be reached or replied nonsense
	Interrupted = 130 // interrupted by a signal
)

// Error is an error with an exit code and an optional one-line hint that tells the
// operator what to do about it.
type Error struct {
	Code int
	Err  error
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New wraps err with code and hint. A nil err gives nil.
func New(code int, err error, hint string) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err, Hint: hint}
}

// Default gives err code and hint unless an error in its chain already
// carries an exit code, which it keeps. A nil err gives nil.
func Default(code int, err error, hint string) error {
	var e *Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return New(code, err, hint)
}

// Of returns the exit code for err: the code of the outermost *Error in its chain,
// Interrupted for a cancelled context, Failure otherwise, OK for nil.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) {
		return Interrupted
	}
	return Failure
}

// HintOf returns the hint of the outermost *Error in err's chain that has one.
func HintOf(err error) string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return ""
		}
		if e.Hint != "" {
			return e.Hint
		}
		err = e.Err
	}
	return ""
}
