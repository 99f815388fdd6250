-- Each service owns its database; none reads another's.
CREATE DATABASE flywheel_ingestion;
CREATE DATABASE flywheel_feature_store;
CREATE DATABASE flywheel_trainer;
CREATE DATABASE flywheel_registry;
CREATE DATABASE flywheel_deployer;
CREATE DATABASE flywheel_monitor;
