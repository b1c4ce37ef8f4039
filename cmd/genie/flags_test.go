package main

import (
	"strings"
	"testing"
)

func TestSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1048576": 1 << 20, "8GiB": 8 << 30, "8 GiB": 8 << 30, "500MB": 500e6, "500mb": 500e6,
		"1.5GB": 1.5e9, "2KiB": 2048, "3KB": 3000, " 64 MiB ": 64 << 20,
	} {
		var n int64
		if err := (sizeFlag{&n}).Set(in); err != nil || n != want {
			t.Errorf("%q: %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1", "ten MB", "8 parsecs", "99999999999EiB"} {
		var n int64
		if err := (sizeFlag{&n}).Set(in); err == nil || !strings.Contains(err.Error(), "is not a size") {
			t.Errorf("%q: accepted as %d (%v)", in, n, err)
		}
	}
	n := int64(8 << 30)
	if got := (sizeFlag{&n}).String(); got != "8.0 GiB" {
		t.Errorf("String: %q", got)
	}
}

func FuzzSizeFlag(f *testing.F) {
	for _, s := range []string{"8GiB", "1.5GB", "12", "-3", "9999999999TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var n int64
		if err := (sizeFlag{&n}).Set(s); err == nil && n < 0 {
			t.Fatalf("%q read as %d", s, n)
		}
	})
}
