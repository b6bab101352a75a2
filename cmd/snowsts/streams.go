package main

import (
	"bufio"
	"io"
	"os"

	"golang.org/x/term"
)

// streams are the command's standard streams and what it knows about them.
type streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// inFd is the file descriptor behind In, or -1; it is used to read a
	// secret without echo.
	inFd int
	// inTTY and errTTY tell whether stdin and stderr are terminals: prompts
	// need both.
	inTTY, errTTY bool
	reader        *bufio.Reader
}

func systemStreams() *streams {
	return &streams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		inFd:   int(os.Stdin.Fd()),
		inTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		errTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// canPrompt reports whether the user can be asked questions.
func (s *streams) canPrompt() bool { return s.inTTY && s.errTTY }

// lineReader returns one buffered reader over In, shared by every read so
// that no input is lost between reads.
func (s *streams) lineReader() *bufio.Reader {
	if s.reader == nil {
		s.reader = bufio.NewReader(s.In)
	}
	return s.reader
}
