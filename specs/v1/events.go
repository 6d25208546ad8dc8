package v1

// Events receives what a running step reports. A component sends them
// (plugins/sdk), the plugin host forwards them from the plugin process
// (plugins/host), and the scheduler records them (pipeline/run): one
// contract on both sides of the wire. Implementations are safe for
// concurrent use.
type Events interface {
	// Log sends one line to the step's log.
	Log(msg string)
	// Progress reports done of total units ("bytes", "tensors", "samples").
	Progress(done, total int64, unit string)
	// Diagnostic reports a problem with the step's configuration or inputs.
	Diagnostic(d Diagnostic)
}
