package runner

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func decodeArgv(t testing.TB, out string) []string {
	t.Helper()
	var got []string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("decode argv %q: %v", out, err)
	}
	return got
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// killAll ends a test's stray process group.
func killAll(pgid int) {
	if pgid > 0 {
		unix.Kill(-pgid, unix.SIGKILL)
	}
}

func killPid(pid int) {
	if pid > 0 {
		unix.Kill(pid, unix.SIGKILL)
	}
}
