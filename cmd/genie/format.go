package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/genie-cluster/genie/api"
)

// orDash returns s, or "-" for an empty table cell.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatTime returns t in local time for people, or "-" when unset.
func formatTime(t api.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// formatDuration returns d rounded for people.
func formatDuration(d api.Duration) string {
	td := time.Duration(d)
	switch {
	case td == 0:
		return "0s"
	case td < time.Second:
		return td.Round(time.Millisecond).String()
	default:
		return td.Round(time.Second).String()
	}
}

// formatInt returns *p, or "-" when nil.
func formatInt[T int | int64](p *T) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatInt(int64(*p), 10)
}

// userTags returns tags without genie's implicit genie.id: and genie.name:
// tags, joined by commas.
func userTags(tags []string) string {
	var out []string
	for _, t := range tags {
		if !strings.HasPrefix(t, "genie.id:") && !strings.HasPrefix(t, "genie.name:") {
			out = append(out, t)
		}
	}
	return orDash(strings.Join(out, ","))
}
