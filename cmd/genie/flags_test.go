package main

import (
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/node"
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

func TestDurationFlag(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"7d": 7 * 24 * time.Hour, "1.5d": 36 * time.Hour, "36h": 36 * time.Hour, "90m": 90 * time.Minute, "0": 0, "0d": 0, "20s": 20 * time.Second,
	} {
		var d time.Duration
		if err := (durationFlag{&d}).Set(in); err != nil || d != want {
			t.Errorf("%q: %s, %v; want %s", in, d, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "7", "seven days", "1e30d", "-5m"} {
		var d time.Duration
		if err := (durationFlag{&d}).Set(in); err == nil || !strings.Contains(err.Error(), "is not a duration") {
			t.Errorf("%q: accepted as %s (%v)", in, d, err)
		}
	}
	d := 72 * time.Hour
	if got := (durationFlag{&d}).String(); got != "3d" {
		t.Errorf("String: %q", got)
	}
}

func TestFreeSpaceFlag(t *testing.T) {
	for in, want := range map[string]node.FreeSpace{
		"5%": {Percent: 5}, "12.5 %": {Percent: 12.5}, "10GiB": {Bytes: 10 << 30}, "0": {}, "500MB": {Bytes: 500e6},
	} {
		var f node.FreeSpace
		if err := (freeSpaceFlag{&f}).Set(in); err != nil || f != want {
			t.Errorf("%q: %+v, %v; want %+v", in, f, err, want)
		}
	}
	for _, in := range []string{"", "100%", "-1%", "x%", "lots", "-5GiB"} {
		var f node.FreeSpace
		if err := (freeSpaceFlag{&f}).Set(in); err == nil {
			t.Errorf("%q: accepted as %+v", in, f)
		}
	}
	def := node.DefaultConfig().MinFreeDisk
	if got := (freeSpaceFlag{&def}).String(); got != "the larger of 5% and 2.0 GiB" {
		t.Errorf("default: %q", got)
	}
}
