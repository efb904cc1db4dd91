"""The batch path: requests written for the OpenAI Batch API or `vllm run-batch`, and
their results stored as a live run stores its answers (see README, "Batch")."""
