package license

import (
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
