package main

const operatorGossipHelp = `
Usage: genie operator gossip <subcommand> [options] [args]

  Manage the keys gossip between nodes is encrypted with. A node started
  with -encrypt keeps its keys in <data-dir>/local.keyring; rotate them on
  the live cluster without a restart:

    $ genie operator gossip keygen
    $ genie operator gossip keyring -install <new key>
    $ genie operator gossip keyring -use <new key>
    $ genie operator gossip keyring -remove <old key>
    $ genie operator gossip keyring -list
`
