// Package session keeps the temporary credentials snowsts obtains from a Snowball Edge's
// STS in a small on-disk cache, so that the many parallel `credential-process`
// invocations of the AWS CLI, the SDKs and Terraform cost one AssumeRole call per session
// instead of one each.
//
// # Layout
//
// The cache directory (DefaultDir) holds, per session key, `<id>.json` (the Entry, 0600)
// and `<id>.lock` (an empty file that refreshes flock), plus `current.json`, the session
// `snowsts assume` recorded last (Current). The id is a hash of the key in which the
// device's access key id appears only as a one-way fingerprint, so neither the file names
// nor the files reveal it. Temp files `<name>.<random>.tmp` exist only while a write is
// in flight. Nothing else in the directory is read or removed.
//
// # Concurrency
//
// Reading a warm entry (Get) is lock-free: compute the id, read one small file, check the
// expiry. Writes are atomic (temp file, fsync, rename), so a reader sees the old entry or
// the new one, never a torn file. A refresh (GetOrFetch on a miss) is single-flight inside
// a process (goroutines wait for one fetch and share its result, failure included) and
// across processes (an flock on `<id>.lock`, waited for until the context ends; the
// entry is read again once the lock is held, because the previous holder has usually
// just refreshed it). A lock file is only ever unlinked by someone holding it, and a
// process that gets a lock checks that its file is still the one at the path.
//
// When the lock cannot be had in time, GetOrFetch fails with exit code Failure (1), not
// Unreachable: the device was not contacted; the hint names the lock file.
//
// Secrets (secret access key, session token) stay in 0600 files and in memory; no error
// this package returns quotes them or a cache file's content.
package session
