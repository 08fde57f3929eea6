// Package host is skep's transport: it connects to a machine over SSH,
// checking its host key against a known_hosts file, and runs commands,
// uploads files and talks to the Docker Engine over that one connection.
//
// Library code here never prints; every error starts with the host name so
// the single place that prints errors can show it as is.
package host
