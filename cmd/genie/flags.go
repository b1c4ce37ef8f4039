package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/genie-cluster/genie/node"
)

// stringsFlag is a flag that may be repeated; each use adds one value.
type stringsFlag []string

func (f *stringsFlag) String() string { return strings.Join(*f, ",") }

func (f *stringsFlag) Set(v string) error {
	*f = append(*f, v)
	return nil
}

// listFlag is a flag that may be repeated or given comma-separated values.
type listFlag []string

func (f *listFlag) String() string { return strings.Join(*f, ",") }

func (f *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*f = append(*f, s)
		}
	}
	return nil
}

// criteriaFlag is a repeated flag whose each use is one comma-separated
// tag set, in order.
type criteriaFlag [][]string

func (f *criteriaFlag) String() string {
	parts := make([]string, len(*f))
	for i, tags := range *f {
		parts[i] = strings.Join(tags, ",")
	}
	return strings.Join(parts, " ")
}

func (f *criteriaFlag) Set(v string) error {
	var l listFlag
	l.Set(v)
	*f = append(*f, l)
	return nil
}

// sizeFlag is a size in bytes: a plain number of bytes, or a number with
// a unit, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of
// 1024), as go-humanize reads them.
type sizeFlag struct {
	bytes *int64
}

func (f sizeFlag) String() string {
	if f.bytes == nil {
		return ""
	}
	return humanize.IBytes(uint64(*f.bytes))
}

func (f sizeFlag) Set(v string) error {
	n, err := humanize.ParseBytes(strings.TrimSpace(v))
	if err != nil || n > math.MaxInt64 {
		return fmt.Errorf("%q is not a size: a number of bytes, or a number with KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)", v)
	}
	*f.bytes = int64(n)
	return nil
}

// durationFlag is a duration in Go's form ("36h", "90m") or in days
// ("7d", "1.5d").
type durationFlag struct {
	d *time.Duration
}

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	if day := 24 * time.Hour; *f.d != 0 && *f.d%day == 0 {
		return fmt.Sprintf("%dd", *f.d/day)
	}
	return f.d.String()
}

func (f durationFlag) Set(v string) error {
	v = strings.TrimSpace(v)
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err == nil && n >= 0 && n*24 < float64(math.MaxInt64/int64(time.Hour)) {
			*f.d = time.Duration(n * float64(24*time.Hour))
			return nil
		}
	} else if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		*f.d = d
		return nil
	}
	return fmt.Errorf("%q is not a duration: days such as 7d, or Go's form such as 36h or 90m", v)
}

// freeSpaceFlag is a minimum of free disk: a size ("10GiB") or a
// percentage of the file system ("5%").
type freeSpaceFlag struct {
	f *node.FreeSpace
}

func (f freeSpaceFlag) String() string {
	if f.f == nil {
		return ""
	}
	return f.f.String()
}

func (f freeSpaceFlag) Set(v string) error {
	v = strings.TrimSpace(v)
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		p, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if err != nil || p < 0 || p >= 100 {
			return fmt.Errorf("%q is not a percentage from 0 to under 100", v)
		}
		*f.f = node.FreeSpace{Percent: p}
		return nil
	}
	var n int64
	if err := (sizeFlag{&n}).Set(v); err != nil {
		return fmt.Errorf("%q is neither a size (10GiB, 500MB) nor a percentage (5%%)", v)
	}
	*f.f = node.FreeSpace{Bytes: n}
	return nil
}
