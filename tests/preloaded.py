"""What the tests' fork server (tests/cli.py) imports and computes once, so that each process forked
from it starts as a long-lived process would: the heavy libraries, what litellm imports on its first
chat completion with tools (its MCP hand-off, the OpenAI client, httpcore: about 1.8 s of CPU in
every process otherwise), the tokenizer its token counter loads on first use (0.65 s), Chroma's
client implementation (0.25 s), scikit-learn (the tests that fit the step model on a memory), and the
step policy's shipped model (`shipped_model`, cached per process). Third-party modules only, apart from
that model: agentroute's other modules are imported by each process, so what they read when
imported (the terminal's width for rich's console, for one) is that process's."""

import gc

import chromadb  # noqa: F401
import chromadb.api.rust  # noqa: F401
import httpcore  # noqa: F401
import langchain_core.messages  # noqa: F401
import langgraph.graph  # noqa: F401
import litellm.litellm_core_utils.default_encoding  # noqa: F401 - loads tiktoken's cl100k_base
import litellm.llms.openai.openai  # noqa: F401
import litellm.proxy.openai_files_endpoints.common_utils  # noqa: F401
import litellm.responses.mcp.chat_completions_handler  # noqa: F401
import litellm.responses.mcp.litellm_proxy_mcp_handler  # noqa: F401
import openai.resources  # noqa: F401
import pydantic  # noqa: F401
import rich.console  # noqa: F401
import sklearn.linear_model  # noqa: F401
import typer  # noqa: F401

from agentroute.policies.learned import shipped_model

shipped_model()

# As a preforking server does: the forked processes' full garbage collections skip what is loaded
# here (about 700,000 objects: 0.5 s of CPU per collection otherwise) and leave its pages shared.
gc.freeze()
