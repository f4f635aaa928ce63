"""DiffC: lossy pixel payloads decoded by the generation model itself (spec/diffc.md, issue 15).

    philox.py     Philox4x32-10 and the counter layout (domains)          } normative, bit-exact
    gaussian.py   the exact binary32 normal and exponential transforms     }
    partition.py  the dimension permutation of a step and its chunks       }
    pfr.py        PFR candidate search (backends) and the decoder's draw   }
    entropy.py    the integer arithmetic coder of the chunk indices         }
    profile.py    registry profiles binding a payload to a model and schedules
    payload.py    the payload bytes: parse (bounded) and build
    codec.py      encoder and decoder steps through a noise model; DDIM denoising
    model.py      the diffusers model as DiffC uses it (torch)
    files.py      image <-> .aigif record; the exact noise a conformance run compares
    cli.py        `aigif compress --diffc`
"""
