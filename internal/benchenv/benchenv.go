// Package benchenv holds what benchmarks in several packages share: sizes
// taken from the environment, and the Go heap they measure.
package benchenv

import (
	"os"
	"runtime"
	"strconv"
	"testing"
)

// Count returns the positive count in the environment variable name, or
// def when it is unset.
func Count(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive count", name, v)
	}
	return n
}

// HeapInUse collects garbage and returns the heap's in-use bytes.
func HeapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
