//go:build chaos

package chaos

import (
	"fmt"
	"sort"
	"strings"

	"github.com/anishathalye/porcupine"
)

// The registry history is checked on clusters: each key is a cluster whose
// status and tags the workers change and read (consistently) through
// different nodes. A write whose outcome the client never learned (no
// answer, 503) may have happened at any time after its call: it is recorded
// as returning at the end of the history.

type regInput struct {
	Key   string
	Op    string // read, status, tag+, tag-
	Value string
}

type regOutput struct {
	Unknown bool
	Status  string
	Tags    string // sorted, comma-joined, without genie's implicit tags
}

type regState struct {
	Status string
	Tags   string
}

const initialStatus = "UP"

func withTag(tags, tag string, present bool) string {
	set := map[string]bool{}
	for _, t := range strings.Split(tags, ",") {
		if t != "" {
			set[t] = true
		}
	}
	if present {
		set[tag] = true
	} else {
		delete(set, tag)
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// registryModel is a map of independent registers of {status, tags}: it
// partitions the history by cluster.
var registryModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(regInput).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() interface{} { return regState{Status: initialStatus} },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		st, in, out := state.(regState), input.(regInput), output.(regOutput)
		switch in.Op {
		case "read":
			return out.Status == st.Status && out.Tags == st.Tags, st
		case "status":
			return true, regState{Status: in.Value, Tags: st.Tags}
		case "tag+":
			return true, regState{Status: st.Status, Tags: withTag(st.Tags, in.Value, true)}
		case "tag-":
			return true, regState{Status: st.Status, Tags: withTag(st.Tags, in.Value, false)}
		}
		return false, st
	},
	DescribeOperation: func(input, output interface{}) string {
		in, out := input.(regInput), output.(regOutput)
		switch {
		case in.Op == "read":
			return fmt.Sprintf("read %s -> %s [%s]", in.Key, out.Status, out.Tags)
		case out.Unknown:
			return fmt.Sprintf("%s %s %s -> ?", in.Op, in.Key, in.Value)
		}
		return fmt.Sprintf("%s %s %s", in.Op, in.Key, in.Value)
	},
	DescribeState: func(state interface{}) string {
		st := state.(regState)
		return fmt.Sprintf("%s [%s]", st.Status, st.Tags)
	},
}
