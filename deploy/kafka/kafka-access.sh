#!/bin/sh
# GENERATED from libs/contracts/src/kafka-access.ts by `npm run deploy:kafka-access`: do not edit.
#
# Creates the SCRAM-SHA-512 users of the six services (and of the admin, when KAFKA_ADMIN_PASSWORD
# is given) and the services' ACLs on Apache Kafka. docker-compose.yml's kafka-access container
# runs it; for another cluster:
#   KAFKA_BOOTSTRAP=broker:9092 KAFKA_COMMAND_CONFIG=/path/admin.properties sh kafka-access.sh
# Passwords come from the environment: at least 16 characters of A-Z a-z 0-9 _ - each.
set -eu
BIN="${KAFKA_BIN:-/opt/kafka/bin}"
CONNECT="--bootstrap-server ${KAFKA_BOOTSTRAP:-127.0.0.1:29092}"
if [ -n "${KAFKA_COMMAND_CONFIG:-}" ]; then CONNECT="$CONNECT --command-config $KAFKA_COMMAND_CONFIG"; fi

# The value of the variable named $1, refused unless it is a plausible generated password (it
# goes inside SCRAM-SHA-512=[…], where a comma or a bracket would change the command).
password() {
  eval "value=\${$1:-}"
  case "$value" in
    '' | *[!A-Za-z0-9_-]*) echo "kafka-access: $1 must be set, with only A-Z a-z 0-9 _ -" >&2; exit 1 ;;
  esac
  if [ "${#value}" -lt 16 ]; then echo "kafka-access: $1 must be at least 16 characters" >&2; exit 1; fi
  printf '%s' "$value"
}

user() {
  secret=$(password "$2")
  "$BIN/kafka-configs.sh" $CONNECT --alter --entity-type users --entity-name "$1" --add-config "SCRAM-SHA-512=[iterations=8192,password=$secret]"
}

allow() {
  principal=$1
  shift
  "$BIN/kafka-acls.sh" $CONNECT --add --allow-principal "$principal" "$@" >/dev/null
}

# Users
if [ -n "${KAFKA_ADMIN_PASSWORD:-}" ]; then user admin KAFKA_ADMIN_PASSWORD; fi
user ingestion INGESTION_KAFKA_PASSWORD
user feature-store FEATURE_STORE_KAFKA_PASSWORD
user trainer TRAINER_KAFKA_PASSWORD
user registry REGISTRY_KAFKA_PASSWORD
user deployer DEPLOYER_KAFKA_PASSWORD
user monitor MONITOR_KAFKA_PASSWORD

# ACLs (the admin is a super user)
allow User:ingestion --topic flywheel.ingestion.events --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:ingestion --topic flywheel.ingest. --resource-pattern-type prefixed --operation Write --operation Describe --operation Create --operation Read
allow User:ingestion --group ingestion.raw. --resource-pattern-type prefixed --operation Read
allow User:ingestion --cluster --resource-pattern-type literal --operation IdempotentWrite
allow User:feature-store --topic flywheel.featurestore.events --resource-pattern-type literal --operation Write --operation Describe --operation Create --operation Read
allow User:feature-store --topic flywheel.ingestion.events.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:feature-store --topic flywheel.featurestore.events.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:feature-store --topic flywheel.ingestion.events --resource-pattern-type literal --operation Read --operation Describe --operation Create
allow User:feature-store --group feature-store.ingestion-events --resource-pattern-type literal --operation Read
allow User:feature-store --group feature-store.online-cache. --resource-pattern-type prefixed --operation Read
allow User:feature-store --cluster --resource-pattern-type literal --operation IdempotentWrite
allow User:trainer --topic flywheel.trainer.events --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:trainer --topic flywheel.trainer.commands --resource-pattern-type literal --operation Write --operation Describe --operation Create --operation Read
allow User:trainer --topic flywheel.trainer.commands.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:trainer --topic flywheel.monitor.events.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:trainer --topic flywheel.ingestion.events.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:trainer --group trainer.train-commands --resource-pattern-type literal --operation Read
allow User:trainer --topic flywheel.monitor.events --resource-pattern-type literal --operation Read --operation Describe --operation Create
allow User:trainer --group trainer.retraining-policy --resource-pattern-type literal --operation Read
allow User:trainer --topic flywheel.ingestion.events --resource-pattern-type literal --operation Read --operation Describe --operation Create
allow User:trainer --group trainer.dataset-versions --resource-pattern-type literal --operation Read
allow User:trainer --cluster --resource-pattern-type literal --operation IdempotentWrite
allow User:registry --topic flywheel.registry.events --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:registry --topic flywheel.trainer.events.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:registry --topic flywheel.trainer.events --resource-pattern-type literal --operation Read --operation Describe --operation Create
allow User:registry --group registry.run-completed --resource-pattern-type literal --operation Read
allow User:registry --cluster --resource-pattern-type literal --operation IdempotentWrite
allow User:deployer --topic flywheel.deployer.events --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:deployer --topic flywheel.predictions --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:deployer --topic flywheel.feedback --resource-pattern-type literal --operation Write --operation Describe --operation Create --operation Read
allow User:deployer --topic flywheel.registry.events.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:deployer --topic flywheel.feedback.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:deployer --topic flywheel.featurestore.events.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:deployer --topic flywheel.registry.events --resource-pattern-type literal --operation Read --operation Describe --operation Create
allow User:deployer --group deployer.alias-moved --resource-pattern-type literal --operation Read
allow User:deployer --group deployer.feedback. --resource-pattern-type prefixed --operation Read
allow User:deployer --topic flywheel.featurestore.events --resource-pattern-type literal --operation Read --operation Describe --operation Create
allow User:deployer --group deployer.online-features. --resource-pattern-type prefixed --operation Read
allow User:deployer --cluster --resource-pattern-type literal --operation IdempotentWrite
allow User:monitor --topic flywheel.monitor.events --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:monitor --topic flywheel.predictions.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:monitor --topic flywheel.feedback.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:monitor --topic flywheel.deployer.events.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:monitor --topic flywheel.registry.events.dlq --resource-pattern-type literal --operation Write --operation Describe --operation Create
allow User:monitor --topic flywheel.predictions --resource-pattern-type literal --operation Read --operation Describe --operation Create
allow User:monitor --group monitor.predictions --resource-pattern-type literal --operation Read
allow User:monitor --topic flywheel.feedback --resource-pattern-type literal --operation Read --operation Describe --operation Create
allow User:monitor --group monitor.feedback --resource-pattern-type literal --operation Read
allow User:monitor --topic flywheel.deployer.events --resource-pattern-type literal --operation Read --operation Describe --operation Create
allow User:monitor --group monitor.deployments --resource-pattern-type literal --operation Read
allow User:monitor --topic flywheel.registry.events --resource-pattern-type literal --operation Read --operation Describe --operation Create
allow User:monitor --group monitor.references --resource-pattern-type literal --operation Read
allow User:monitor --cluster --resource-pattern-type literal --operation IdempotentWrite
echo "kafka-access: 7 users, 123 ACLs"
