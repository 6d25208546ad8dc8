# Developer targets. `make proto` regenerates plugins/proto from plugin.proto
# with the pinned generators (protoc from Debian's protobuf-compiler).
GOBIN ?= $(shell go env GOPATH)/bin

.PHONY: proto proto-tools test vet build

proto-tools:
	GOFLAGS= go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	GOFLAGS= go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1

proto: proto-tools
	PATH="$(GOBIN):$$PATH" protoc -I plugins/proto \
		--go_out=plugins/proto --go_opt=paths=source_relative \
		--go-grpc_out=plugins/proto --go-grpc_opt=paths=source_relative \
		plugins/proto/plugin.proto

build:
	go build -o bin/ckpt ./cmd/ckpt

vet:
	go vet ./...

test:
	go test ./...
