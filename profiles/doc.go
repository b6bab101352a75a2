// Package profiles holds examples of every profile shape snowsts writes in
// the AWS shared files, as plain files a reader can copy from:
//
//	device.config, device.credentials       snowsts configure (HTTP)
//	device-https.config                     snowsts configure --https --ca-bundle PATH
//	assumed.config, assumed.credentials     snowsts assume
//	process.config                          snowsts configure role NAME
//
// Each file starts with a comment block that explains it; the rest is byte
// for byte what snowsts writes for the inputs the test names, which the test
// checks by calling the writers in package profile, and which it then loads
// with the AWS SDK for Go's own shared-config loader. Update the files after
// an intended change with `go test ./profiles/ -update`.
package profiles
