//go:build !linux

package doctor

import "errors"

func blackholeListener() (string, func(), error) {
	return "", nil, errors.New("a black-holed loopback port needs Linux")
}
