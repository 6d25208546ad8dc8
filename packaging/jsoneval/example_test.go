package jsoneval_test

import (
	"fmt"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
)

func ExampleClassifier_Classify() {
	schema, err := jsoneval.ParseSchema([]byte(`{"type":"object","properties":{"priority":{"type":"integer","maximum":5}},"required":["priority"]}`))
	if err != nil {
		panic(err)
	}
	strict := jsoneval.NewClassifier(schema, jsoneval.ExtractNone)
	for _, out := range []string{
		`{"priority": 3}`,
		"  \n",
		`{"priority": 3`,
		`{"priority": 3} Hope this helps!`,
		`{"priority": 3,}`,
		`{"priority": "3"}`,
		`{"priority": 9}`,
		`{}`,
	} {
		r := strict.Classify(out)
		fmt.Println(r.Category, r.Offset)
	}
	fenced := jsoneval.NewClassifier(schema, jsoneval.ExtractFenced)
	r := fenced.Classify("```json\n{\"priority\": 1}\n```")
	fmt.Println(r.Category, r.Extracted)
	// Output:
	// ok -1
	// no_json_start -1
	// unterminated_json 14
	// trailing_text 16
	// invalid_json 15
	// type_mismatch -1
	// range_violation -1
	// missing_required -1
	// ok true
}
