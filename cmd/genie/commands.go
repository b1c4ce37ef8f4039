package main

import (
	"strings"

	"github.com/hashicorp/cli"
)

// commands returns every command of the genie binary, keyed by its words.
func commands(ui cli.Ui) map[string]cli.CommandFactory {
	meta := func() Meta { return Meta{UI: ui} }
	cmds := map[string]cli.CommandFactory{
		"agent": func() (cli.Command, error) { return &AgentCommand{UI: ui}, nil },

		"jobs":        parent("Submit, watch and kill jobs", jobsHelp),
		"jobs submit": func() (cli.Command, error) { return &JobsSubmitCommand{Meta: meta()}, nil },
		"jobs list":   func() (cli.Command, error) { return &JobsListCommand{Meta: meta()}, nil },
		"jobs get":    func() (cli.Command, error) { return &JobsGetCommand{Meta: meta()}, nil },
		"jobs status": func() (cli.Command, error) { return &JobsStatusCommand{Meta: meta()}, nil },
		"jobs logs":   func() (cli.Command, error) { return &JobsLogsCommand{Meta: meta()}, nil },
		"jobs kill":   func() (cli.Command, error) { return &JobsKillCommand{Meta: meta()}, nil },
		"jobs wait":   func() (cli.Command, error) { return &JobsWaitCommand{Meta: meta()}, nil },

		"members": func() (cli.Command, error) { return &MembersCommand{Meta: meta()}, nil },

		"tls":             parent("Create the CA and certificates for TLS", tlsHelp),
		"tls ca":          parent("Create the cluster's CA", tlsCAHelp),
		"tls ca create":   func() (cli.Command, error) { return &TLSCACreateCommand{Meta: meta()}, nil },
		"tls cert":        parent("Create certificates signed by the CA", tlsCertHelp),
		"tls cert create": func() (cli.Command, error) { return &TLSCertCreateCommand{Meta: meta()}, nil },

		"acl":              parent("Manage ACL tokens", aclHelp),
		"acl bootstrap":    func() (cli.Command, error) { return &ACLBootstrapCommand{Meta: meta()}, nil },
		"acl whoami":       func() (cli.Command, error) { return &ACLWhoamiCommand{Meta: meta()}, nil },
		"acl token":        parent("Create, list, read and delete ACL tokens", aclTokenHelp),
		"acl token create": func() (cli.Command, error) { return &ACLTokenCreateCommand{Meta: meta()}, nil },
		"acl token list":   func() (cli.Command, error) { return &ACLTokenListCommand{Meta: meta()}, nil },
		"acl token info":   func() (cli.Command, error) { return &ACLTokenInfoCommand{Meta: meta()}, nil },
		"acl token delete": func() (cli.Command, error) { return &ACLTokenDeleteCommand{Meta: meta()}, nil },

		"operator":                      parent("Operate the cluster", operatorHelp),
		"operator raft":                 parent("Inspect and change the raft configuration", operatorRaftHelp),
		"operator raft list-peers":      func() (cli.Command, error) { return &RaftListPeersCommand{Meta: meta()}, nil },
		"operator raft remove-peer":     func() (cli.Command, error) { return &RaftRemovePeerCommand{Meta: meta()}, nil },
		"operator raft transfer-leader": func() (cli.Command, error) { return &RaftTransferLeaderCommand{Meta: meta()}, nil },
		"operator gossip":               parent("Manage the gossip encryption keys", operatorGossipHelp),
		"operator gossip keygen":        func() (cli.Command, error) { return &GossipKeygenCommand{UI: ui}, nil },
		"operator gossip keyring":       func() (cli.Command, error) { return &GossipKeyringCommand{Meta: meta()}, nil },
		"operator limits":               func() (cli.Command, error) { return &OperatorLimitsCommand{Meta: meta()}, nil },
		"operator limits set":           func() (cli.Command, error) { return &OperatorLimitsSetCommand{Meta: meta()}, nil },
	}
	// clusters, commands and applications share their subcommands.
	for _, k := range []*resourceKind{clusterKind, commandKind, applicationKind} {
		addRegistryCommands(cmds, k, meta)
	}
	return cmds
}

// parentCommand groups subcommands; run alone it shows its help.
type parentCommand struct {
	synopsis string
	help     string
}

func parent(synopsis, help string) cli.CommandFactory {
	return func() (cli.Command, error) { return &parentCommand{synopsis: synopsis, help: help}, nil }
}

func (c *parentCommand) Help() string     { return strings.TrimSpace(c.help) }
func (c *parentCommand) Synopsis() string { return c.synopsis }
func (c *parentCommand) Run([]string) int { return cli.RunResultHelp }
