"""The experience memory (Context → Action → Feedback → Context) in Chroma.

`store.ExperienceMemory` is the store (it imports chromadb, so import it where it is used), over
`slots` (where it lives, its Chroma handles); `jsonl` reads experience files;
`experience.MemoryExperience` plugs it into the step policies; `context_text` renders a
step context for embedding; `records` holds the data types.
"""
