// Package chaos is genie's chaos suite: a cluster of real nodes in
// containers (the FROM scratch image, run by docker-compose), secured as
// deployed (ACLs, TLS, gossip encryption, jobs as nobody; GENIE_SECURE=0
// runs it plain), client workers that submit jobs and change the registry
// through every node the whole time, and faults injected one after
// another: killed leaders and followers, paused nodes, nodes and leaders cut
// off the network, the whole cluster killed at once, rolling restarts. After
// each fault it checks, from the clients' own records, that no acknowledged
// job was lost or ran twice, that the registry history is linearizable
// (porcupine), that a leader came back within a bound and that every error
// a client saw was a documented one.
//
// The suite is built with the chaos tag and run by `make chaos`, which
// builds the image first; it fails, never skips, when Docker is missing.
package chaos
