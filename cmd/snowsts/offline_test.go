package main

import "testing"

// TestCheckConnects proves the offline check can fail: the trace lines are
// what strace prints on Linux.
func TestCheckConnects(t *testing.T) {
	const dev = `4242 connect(5, {sa_family=AF_INET, sin_port=htons(40963), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)`
	for _, tt := range []struct {
		name  string
		trace string
		ok    bool
	}{
		{"device only", dev + "\n" + dev + "\n+++ exited with 0 +++\n", true},
		{"instance metadata", dev + "\n" + `4243 connect(7, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("169.254.169.254")}, 16) = -1 EINPROGRESS`, false},
		{"AWS over IPv6", `4243 connect(7, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2600:1f18::1", &sin6_addr), sin6_scope_id=0}, 28) = 0`, false},
		{"DNS", dev + "\n" + `4243 connect(7, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16) = 0`, false},
		{"name service socket", dev + "\n" + `4243 connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT`, false},
		{"same host, other port", `1 connect(5, {sa_family=AF_INET, sin_port=htons(7078), sin_addr=inet_addr("127.0.0.1")}, 16) = 0`, false},
		{"empty trace", "+++ exited with 0 +++\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkConnects(tt.trace, []string{"127.0.0.1:40963"})
			if (err == nil) != tt.ok {
				t.Fatalf("checkConnects = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
