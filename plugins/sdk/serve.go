package sdk

import (
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ProtocolVersion is the version of ckpt's plugin protocol this SDK speaks.
// The host and the plugin negotiate it in go-plugin's handshake.
const ProtocolVersion = 1

// Run boundaries on stderr: the host sends a run id in the call's gRPC
// metadata under RunIDKey, and the SDK writes RunEndMarker + id as a line
// on stderr just before the run's result, so that the host knows it has
// read every stderr line written during the run.
const (
	RunIDKey     = "ckpt-run-id"
	RunEndMarker = "\x1eckpt-run-end "
)

// PluginKey is the name of the one go-plugin plugin a ckpt plugin serves.
const PluginKey = "ckpt"

// MaxMessageSize is the largest gRPC message either side accepts (64 MiB).
// Messages stay small in practice: data moves by path.
const MaxMessageSize = 64 << 20

// Handshake returns the go-plugin handshake shared by the host and plugins.
// The magic cookie only keeps users from running a plugin by hand; it is
// not a security measure.
func Handshake() plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  ProtocolVersion,
		MagicCookieKey:   "CKPT_PLUGIN_MAGIC_COOKIE",
		MagicCookieValue: "2f0c1b8e6a4d4c5f9e1a7b3d8c6e0f12a9b4d7e3c5f1a8b2e6d0c4f7a3b9e5d1",
	}
}

// PluginSets returns the versioned plugin sets served (or consumed) for p;
// p may be nil on the host side.
func PluginSets(p *Plugin) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{ProtocolVersion: {PluginKey: &GRPCPlugin{Impl: p}}}
}

// Serve serves p to the ckpt host that started this process and returns
// when the host closes the connection. It must be called before anything is
// written to stdout: go-plugin's handshake is the first stdout line. Logs go
// to stderr only. Serve exits the process when its parent dies. Where the
// kernel allows it, each step runs confined in a process of its own (see
// StepEnv): Serve then runs that step and exits.
func Serve(p *Plugin) {
	if os.Getenv(StepEnv) != "" {
		os.Exit(serveStep(p))
	}
	go watchParent(os.Getppid(), 500*time.Millisecond)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake(),
		// go-plugin redirects os.Stderr into its asynchronous stdio stream;
		// the server puts the real stderr back on its first call, so that
		// the host reads every line in order (and all of them after a crash).
		VersionedPlugins: map[int]plugin.PluginSet{ProtocolVersion: {PluginKey: &GRPCPlugin{Impl: p, stderr: os.Stderr, confine: confine()}}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts,
				grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize))...)
		},
		Logger: hclog.New(&hclog.LoggerOptions{Name: p.Name, Level: hclog.Warn, Output: os.Stderr}),
	})
}

// watchParent exits the process when its parent changes (the host died and
// the plugin was re-parented), so that no plugin outlives its host even
// where Pdeathsig is unavailable.
func watchParent(ppid int, every time.Duration) {
	if ppid <= 1 {
		return
	}
	for range time.Tick(every) {
		if os.Getppid() != ppid {
			os.Exit(2)
		}
	}
}
