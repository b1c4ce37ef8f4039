package fsm

import (
	"strings"
	"testing"
)

// resolveFixture registers clusters and commands that the table tests
// resolve against.
func resolveFixture(t *testing.T) *testFSM {
	tf := newTestFSM(t)
	for _, c := range []Cluster{
		cluster("adhoc-1", "adhoc", ClusterUp, "sched:adhoc", "type:yarn"),
		cluster("sla-1", "sla", ClusterUp, "sched:sla", "type:yarn"),
		cluster("old-1", "old", ClusterOutOfService, "sched:adhoc", "type:yarn", "legacy"),
		cluster("dead-1", "dead", ClusterTerminated, "sched:legacy"),
		cluster("presto-1", "presto", ClusterUp, "type:presto"),
	} {
		tf.mustApply(ClusterRequestType, &ClusterRequest{Op: OpCreate, Cluster: c})
	}
	cmds := []Command{
		command("hive", "hive", []string{"type:hive", "ver:2"}, Criterion{Tags: []string{"type:yarn"}}),
		command("presto", "presto", []string{"type:presto"}, Criterion{Tags: []string{"type:presto"}}),
		command("shell", "shell", []string{"type:shell"}),
	}
	inactive := command("hive-old", "hive-old", []string{"type:hive", "ver:1"})
	inactive.Status = StatusInactive
	cmds = append(cmds, inactive)
	app := Application{Resource: Resource{ID: "hadoop", Name: "hadoop"}, Status: StatusActive}
	tf.mustApply(ApplicationRequestType, &ApplicationRequest{Op: OpCreate, Application: app})
	cmds[0].Applications = []string{"hadoop"}
	for _, c := range cmds {
		tf.mustApply(CommandRequestType, &CommandRequest{Op: OpCreate, Command: c})
	}
	return tf
}

func TestResolve(t *testing.T) {
	tf := resolveFixture(t)
	cases := []struct {
		name         string
		command      []string
		clusters     [][]string
		apps         []string
		wantCommand  string
		wantClusters []string
		wantApps     []string
		wantErr      string
	}{
		{name: "first criterion wins", command: []string{"type:hive"}, clusters: [][]string{{"sched:sla"}, {"sched:adhoc"}},
			wantCommand: "hive", wantClusters: []string{"sla-1"}, wantApps: []string{"hadoop"}},
		{name: "falls through to second criterion", command: []string{"type:hive"}, clusters: [][]string{{"sched:nope"}, {"sched:adhoc"}},
			wantCommand: "hive", wantClusters: []string{"adhoc-1"}},
		{name: "several clusters match", command: []string{"type:hive"}, clusters: [][]string{{"type:yarn"}},
			wantCommand: "hive", wantClusters: []string{"adhoc-1", "sla-1"}},
		{name: "command criteria join job criteria", command: []string{"type:presto"}, clusters: [][]string{{"sched:adhoc"}, {}},
			wantCommand: "presto", wantClusters: []string{"presto-1"}},
		{name: "tags match exactly", command: []string{"type:hiv"}, clusters: [][]string{{"sched:adhoc"}},
			wantErr: "no ACTIVE command"},
		{name: "out of service cluster never chosen", command: []string{"type:hive"}, clusters: [][]string{{"legacy"}},
			wantErr: "no UP cluster"},
		{name: "terminated cluster never chosen", command: []string{"type:shell"}, clusters: [][]string{{"sched:legacy"}},
			wantErr: "no UP cluster"},
		{name: "inactive command never chosen", command: []string{"ver:1"}, clusters: [][]string{{"sched:adhoc"}},
			wantErr: "no ACTIVE command"},
		{name: "implicit id tag", command: []string{"genie.id:shell"}, clusters: [][]string{{"genie.id:presto-1"}},
			wantCommand: "shell", wantClusters: []string{"presto-1"}},
		{name: "implicit name tag", command: []string{"genie.name:hive"}, clusters: [][]string{{"genie.name:sla"}},
			wantCommand: "hive", wantClusters: []string{"sla-1"}},
		{name: "conflicting implicit tags match nothing", command: []string{"type:shell"}, clusters: [][]string{{"genie.id:sla-1", "genie.id:adhoc-1"}},
			wantErr: "no UP cluster"},
		{name: "job applications override the command's", command: []string{"type:hive"}, clusters: [][]string{{"sched:adhoc"}}, apps: []string{},
			wantCommand: "hive", wantApps: []string{"hadoop"}},
		{name: "missing application", command: []string{"type:shell"}, clusters: [][]string{{"sched:adhoc"}}, apps: []string{"nope"},
			wantErr: "application nope does not exist"},
		{name: "error names criteria tried", command: []string{"type:hive"}, clusters: [][]string{{"sched:x"}, {"sched:y"}},
			wantErr: "tags=sched:x,type:yarn}, {tags=sched:y,type:yarn}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := tf.fsm.State().Resolve(&JobRequest{CommandCriteria: c.command, ClusterCriterias: c.clusters, Applications: c.apps})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want error containing %q, got %v", c.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Command.ID != c.wantCommand {
				t.Fatalf("command %s, want %s", res.Command.ID, c.wantCommand)
			}
			if c.wantClusters != nil {
				var got []string
				for _, cl := range res.Clusters {
					got = append(got, cl.ID)
				}
				if strings.Join(got, ",") != strings.Join(c.wantClusters, ",") {
					t.Fatalf("clusters %v, want %v", got, c.wantClusters)
				}
			}
			if c.wantApps != nil {
				var got []string
				for _, a := range res.Applications {
					got = append(got, a.ID)
				}
				if strings.Join(got, ",") != strings.Join(c.wantApps, ",") {
					t.Fatalf("apps %v, want %v", got, c.wantApps)
				}
			}
		})
	}
}
