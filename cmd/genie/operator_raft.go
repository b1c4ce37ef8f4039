package main

const operatorHelp = `
Usage: genie operator <subcommand> [options] [args]

  Operate the cluster.

    $ genie operator raft list-peers
`

const operatorRaftHelp = `
Usage: genie operator raft <subcommand> [options] [args]

  Inspect and change the raft configuration: list the peers, remove a
  failed server, hand leadership to another server.

    $ genie operator raft list-peers
    $ genie operator raft remove-peer -id <id>
    $ genie operator raft transfer-leader -id <id>
`
