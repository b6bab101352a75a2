//go:build !linux

package main

import "errors"

var errNotBlackholed = errors.New("the accept queue never filled")

func blackholeListener() (string, func(), error) {
	return "", nil, errors.New("a black-holed loopback port needs Linux")
}
