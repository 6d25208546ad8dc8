package license

import (
	"encoding/json"
	"reflect"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func TestCombine(t *testing.T) {
	base := specv1.Input{Step: "model.base", Attr: "base", Digest: "sha256:b",
		Metadata: specv1.Metadata{Kind: "model", ID: "mistral-7b-instruct-v0.3", License: "Apache-2.0", Notices: []string{"n1"}}}
	baseEntry := specv1.Lineage{Role: "base", ID: "mistral-7b-instruct-v0.3", Digest: "sha256:b", License: "Apache-2.0", Step: "model.base"}
	adapter := specv1.Input{Step: "adapter.support", Attr: "adapters", Digest: "sha256:a",
		Metadata: specv1.Metadata{Kind: "adapter", ID: "support-lora", License: mrl, Notices: []string{"n1", "n2"},
			Lineage: []specv1.Lineage{baseEntry,
				{Role: "adapter", ID: "support-lora", Digest: "sha256:a", License: mrl, Step: "adapter.support"},
				{Role: "dataset", ID: "tickets@2026-10-01", License: "CC-BY-4.0"}}}}
	got := Combine(base, adapter)
	if got.License != "Apache-2.0 AND LicenseRef-MRL-0.1" {
		t.Errorf("license = %q", got.License)
	}
	want := append([]specv1.Lineage{baseEntry}, adapter.Metadata.Lineage[1:]...)
	if !reflect.DeepEqual(got.Lineage, want) {
		t.Errorf("lineage = %+v\nwant %+v", got.Lineage, want)
	}
	if !reflect.DeepEqual(got.Notices, []string{"n1", "n2"}) {
		t.Errorf("notices = %q", got.Notices)
	}
	got.Kind, got.ID = "merge", "support-assistant"
	vs := Evaluate(&got, Policy{Use: UseCommercial})
	if len(vs) != 1 || vs[0].Input != "adapter.support (support-lora)" {
		t.Errorf("violations = %+v", vs)
	}
}

func TestTrainingDatasets(t *testing.T) {
	tests := []struct {
		in   string
		want []specv1.Lineage
		err  bool
	}{
		{``, nil, false},
		{`{"hyperparameters": {"lr": 1e-4}}`, nil, false},
		{`{"dataset": "support-tickets@2026-10-01"}`, []specv1.Lineage{{Role: "dataset", ID: "support-tickets@2026-10-01"}}, false},
		{`{"dataset": {"id": "a", "license": "CC-BY-4.0"}, "datasets": [{"name": "b", "license": "CC-BY-NC-4.0", "digest": "sha256:1"}, "c"]}`,
			[]specv1.Lineage{{Role: "dataset", ID: "a", License: "CC-BY-4.0"},
				{Role: "dataset", ID: "b", License: "CC-BY-NC-4.0", Digest: "sha256:1"}, {Role: "dataset", ID: "c"}}, false},
		{`{"datasets": [3]}`, nil, true},
		{`[1]`, nil, true},
	}
	for _, tt := range tests {
		got, err := TrainingDatasets(json.RawMessage(tt.in))
		if (err != nil) != tt.err || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("TrainingDatasets(%s) = %+v, %v; want %+v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
	// A non-commercial dataset binds the adapter's users.
	ds, _ := TrainingDatasets(json.RawMessage(`{"datasets": [{"id": "nc", "license": "CC-BY-NC-4.0"}]}`))
	m := &specv1.Metadata{Kind: "adapter", ID: "a", License: "Apache-2.0",
		Lineage: append([]specv1.Lineage{{Role: "adapter", ID: "a", License: "Apache-2.0"}}, ds...)}
	if vs := Evaluate(m, Policy{Use: UseCommercial}); len(vs) != 1 || vs[0].Input != "dataset (nc)" {
		t.Errorf("violations = %+v", vs)
	}
}
