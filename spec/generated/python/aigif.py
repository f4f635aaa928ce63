# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from enum import IntEnum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class Aigif(KaitaiStruct):
    """An AIGIF file stores the generation syntax of an AI-generated image (model ID,
    prompt, negative prompt, size, seed, scheduler, steps, guidance, data type,
    platform) instead of its pixels; a decoder regenerates the image.
    
    This grammar is the second, independent description of AIGIF v1; the normative
    text is spec/bitstream.md and the reference parser is aigif_ref (construct).
    Every canonical-form rule and limit Kaitai Struct can express is a `valid:`
    check here, placed so that checks fail in the same order as the reference
    (stream order, first failure wins). Each check names, in the custom key
    `-aigif-error`, the stable error code (spec/bitstream.md#12-error-codes) a reader
    reports when it fails; an end of stream inside any field is AIGIF_E_TRUNCATED.
    
    Not expressible in Kaitai Struct and left to the reader (conformance/impls/kaitai_python/adapter.py
    shows how): decoding the text block (zlib canonical form, phrase-huffman-v1,
    UTF-8), the CRC-32 value, every registry check (spec/registry.md), and the
    rules across fields of extension types 5 and 6, which follow the registry check
    of their codes (spec/bitstream.md section 9.4).
    
    Generated parts (tools/gen_ksy.py, between BEGIN/END GENERATED comments): the
    field groups, the body types of extension types 4-9 and the version checks, from
    the declarations the reference grammar is built from.
    
    .. seealso::
       spec/bitstream.md
    
    
    .. seealso::
       spec/bitstream.md#112-order-of-checks
    
    
    .. seealso::
       Gao, Feng, Li, Li, Chen: "Toward Defining an Efficient and Expandable File Format for AI-Generated Contents", Table I (file format example) and Sec. II.B.3 (exp code)
    """

    class ExtensionType(IntEnum):
        pixels = 1
        model = 2
        pixel_digest = 3
        model_file = 4
        adapters = 5
        stages = 6
        prompt_dialect = 7
        software = 8
        source_metadata = 9

    class PixelCompressor(IntEnum):
        raw_rgb8 = 0
        png = 1
        jxl = 2
        diffc = 3
    def __init__(self, _io, _parent=None, _root=None):
        super(Aigif, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.header = Aigif.Header(self._io, self, self._root)
        self._raw_body = self._io.read_bytes_full()
        _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
        self.body = Aigif.Body(_io__raw_body, self, self._root)


    def _fetch_instances(self):
        pass
        self.header._fetch_instances()
        self.body._fetch_instances()

    class Adapters(KaitaiStruct):
        """Extension type 5, adapters: LoRA / textual-inversion / VAE files by content hash, with UNet and text-encoder scales. The codes' registry check and the rules across fields (spec section 9.4) are the reader's.
        
        .. seealso::
           spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Adapters, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_must_understand = self._io.read_bytes(0)
            _ = self.check_must_understand
            if not self._parent.must_understand:
                raise kaitaistruct.ValidationExprError(self.check_must_understand, self._io, u"/types/adapters/seq/0")
            self.adapters_count = Aigif.Uvarint(self._io, self, self._root)
            _ = self.adapters_count
            if not  ((_.value >= 1) and (_.value <= 64)) :
                raise kaitaistruct.ValidationExprError(self.adapters_count, self._io, u"/types/adapters/seq/1")
            self.adapters = []
            for i in range(self.adapters_count.value):
                self.adapters.append(Aigif.AdaptersAdaptersItem(self._io, self, self._root))

            self.check_end = self._io.read_bytes(0)
            _ = self.check_end
            if not self._io.is_eof():
                raise kaitaistruct.ValidationExprError(self.check_end, self._io, u"/types/adapters/seq/3")


        def _fetch_instances(self):
            pass
            self.adapters_count._fetch_instances()
            for i in range(len(self.adapters)):
                pass
                self.adapters[i]._fetch_instances()



    class AdaptersAdaptersItem(KaitaiStruct):
        """One entry of adapters.adapters.
        
        .. seealso::
           spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.AdaptersAdaptersItem, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.kind = Aigif.ExpCode(self._io, self, self._root)
            self.hash_algorithm = Aigif.ExpCode(self._io, self, self._root)
            self.check_digest_algorithm = self._io.read_bytes(0)
            _ = self.check_digest_algorithm
            if not  ((self.hash_algorithm.value == 0) or (self.hash_algorithm.value == 1) or (self.hash_algorithm.value == 2)) :
                raise kaitaistruct.ValidationExprError(self.check_digest_algorithm, self._io, u"/types/adapters_adapters_item/seq/2")
            self.digest = self._io.read_bytes((32 if self.hash_algorithm.value == 0 else (5 if self.hash_algorithm.value == 1 else 4)))
            self.name_len = Aigif.Uvarint(self._io, self, self._root)
            _ = self.name_len
            if not _.value <= 255:
                raise kaitaistruct.ValidationExprError(self.name_len, self._io, u"/types/adapters_adapters_item/seq/4")
            self.name = (self._io.read_bytes(self.name_len.value)).decode(u"UTF-8")
            self.unet_scale = Aigif.Cfloat(self._io, self, self._root)
            self.text_encoder_scale = Aigif.Cfloat(self._io, self, self._root)


        def _fetch_instances(self):
            pass
            self.kind._fetch_instances()
            self.hash_algorithm._fetch_instances()
            self.name_len._fetch_instances()
            self.unet_scale._fetch_instances()
            self.text_encoder_scale._fetch_instances()


    class Body(KaitaiStruct):
        """The generation syntax and the extension records.
        
        .. seealso::
           spec/bitstream.md#6-body
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Body, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.core = Aigif.Core(self._io, self, self._root)
            if self.core.has_device:
                pass
                self.device = Aigif.ExpCode(self._io, self, self._root)
                _ = self.device
                if not _.value != 0:
                    raise kaitaistruct.ValidationExprError(self.device, self._io, u"/types/body/seq/1")

            if self.core.has_gpu:
                pass
                self.gpu = Aigif.ExpCode(self._io, self, self._root)
                _ = self.gpu
                if not _.value != 0:
                    raise kaitaistruct.ValidationExprError(self.gpu, self._io, u"/types/body/seq/2")

            if self.core.has_cuda:
                pass
                self.cuda = Aigif.ExpCode(self._io, self, self._root)
                _ = self.cuda
                if not _.value != 0:
                    raise kaitaistruct.ValidationExprError(self.cuda, self._io, u"/types/body/seq/3")

            if self.core.has_params:
                pass
                self.params = Aigif.Params(self._io, self, self._root)

            if self.core.has_scheduler_config:
                pass
                self.scheduler_config = Aigif.SchedulerConfig(self._io, self, self._root)

            if self.core.has_platform:
                pass
                self.platform = Aigif.Platform(self._io, self, self._root)

            self.extensions = []
            i = 0
            while not self._io.is_eof():
                self.extensions.append(Aigif.Extension(i, (0 if i == 0 else self.extensions[i - 1].ext_type), (0 if i == 0 else self.extensions[i - 1].needed_minor), self._io, self, self._root))
                i += 1

            self.check_version = self._io.read_bytes(0)
            _ = self.check_version
            if not  ((self._root.header.version_minor > 1) or (self._root.header.version_minor == self.needed_minor)) :
                raise kaitaistruct.ValidationExprError(self.check_version, self._io, u"/types/body/seq/8")


        def _fetch_instances(self):
            pass
            self.core._fetch_instances()
            if self.core.has_device:
                pass
                self.device._fetch_instances()

            if self.core.has_gpu:
                pass
                self.gpu._fetch_instances()

            if self.core.has_cuda:
                pass
                self.cuda._fetch_instances()

            if self.core.has_params:
                pass
                self.params._fetch_instances()

            if self.core.has_scheduler_config:
                pass
                self.scheduler_config._fetch_instances()

            if self.core.has_platform:
                pass
                self.platform._fetch_instances()

            for i in range(len(self.extensions)):
                pass
                self.extensions[i]._fetch_instances()


        @property
        def groups_needed_minor(self):
            """The lowest minor version the group fields present need.
            
            .. seealso::
               spec/bitstream.md#3-signature-and-version
            """
            if hasattr(self, '_m_groups_needed_minor'):
                return self._m_groups_needed_minor

            self._m_groups_needed_minor = (1 if  ((self.core.has_platform) and (self.platform.bitmap.value & 4096 != 0))  else 0)
            return getattr(self, '_m_groups_needed_minor', None)

        @property
        def needed_minor(self):
            """The lowest minor version whose features the file uses.
            
            .. seealso::
               spec/bitstream.md#3-signature-and-version
            """
            if hasattr(self, '_m_needed_minor'):
                return self._m_needed_minor

            self._m_needed_minor = (self.extensions[-1].needed_minor if  ((len(self.extensions) > 0) and (self.extensions[-1].needed_minor > self.groups_needed_minor))  else self.groups_needed_minor)
            return getattr(self, '_m_needed_minor', None)


    class Cfloat(KaitaiStruct):
        """Compact float32: a uvarint u. Even u is the value (u >> 1) / 4 exactly
        (u >> 1 below 2**24); u == 1 is followed by a raw float32, allowed only
        for finite values that the short form cannot write; other odd u are reserved.
        
        .. seealso::
           spec/bitstream.md#53-compact-float
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Cfloat, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.form = Aigif.Uvarint(self._io, self, self._root)
            _ = self.form
            if not  ((_.value & 1 == 1) or (_.value >> 1 < 16777216)) :
                raise kaitaistruct.ValidationExprError(self.form, self._io, u"/types/cfloat/seq/0")
            self.check_reserved = self._io.read_bytes(0)
            _ = self.check_reserved
            if not  ((self.form.value & 1 == 0) or (self.form.value == 1)) :
                raise kaitaistruct.ValidationExprError(self.check_reserved, self._io, u"/types/cfloat/seq/1")
            if self.form.value == 1:
                pass
                self._raw_raw = self._io.read_bytes(4)
                _io__raw_raw = KaitaiStream(BytesIO(self._raw_raw))
                self.raw = Aigif.RawFloat32(_io__raw_raw, self, self._root)



        def _fetch_instances(self):
            pass
            self.form._fetch_instances()
            if self.form.value == 1:
                pass
                self.raw._fetch_instances()


        @property
        def value(self):
            """The float32 value.
            
            .. seealso::
               spec/bitstream.md#53-compact-float
            """
            if hasattr(self, '_m_value'):
                return self._m_value

            self._m_value = (self.raw.value if self.form.value == 1 else (self.form.value >> 1) / 4.0)
            return getattr(self, '_m_value', None)


    class Core(KaitaiStruct):
        """The presence bitmap and the fields every file has, up to and including the
        text block. A reader decodes the text block as soon as this part is read.
        
        .. seealso::
           spec/bitstream.md#6-body
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Core, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.presence = Aigif.Uvarint(self._io, self, self._root)
            _ = self.presence
            if not _.value >> 9 == 0:
                raise kaitaistruct.ValidationExprError(self.presence, self._io, u"/types/core/seq/0")
            self.model_id = Aigif.ExpCode(self._io, self, self._root)
            if self.has_dtype:
                pass
                self.dtype = Aigif.ExpCode(self._io, self, self._root)
                _ = self.dtype
                if not _.value != 0:
                    raise kaitaistruct.ValidationExprError(self.dtype, self._io, u"/types/core/seq/2")

            if self.has_scheduler:
                pass
                self.scheduler = Aigif.ExpCode(self._io, self, self._root)
                _ = self.scheduler
                if not _.value != 0:
                    raise kaitaistruct.ValidationExprError(self.scheduler, self._io, u"/types/core/seq/3")

            self.steps = Aigif.Uvarint(self._io, self, self._root)
            _ = self.steps
            if not  ((_.value >= 1) and (_.value <= 1000)) :
                raise kaitaistruct.ValidationExprError(self.steps, self._io, u"/types/core/seq/4")
            self.guidance_scale = Aigif.Cfloat(self._io, self, self._root)
            self.seed = Aigif.Uvarint(self._io, self, self._root)
            self.height_units = Aigif.Uvarint(self._io, self, self._root)
            _ = self.height_units
            if not  ((_.value >= 1) and (_.value <= 2048)) :
                raise kaitaistruct.ValidationExprError(self.height_units, self._io, u"/types/core/seq/7")
            self.width_units = Aigif.Uvarint(self._io, self, self._root)
            _ = self.width_units
            if not  ((_.value >= 1) and (_.value <= 2048)) :
                raise kaitaistruct.ValidationExprError(self.width_units, self._io, u"/types/core/seq/8")
            self.text = Aigif.TextBlock(self._io, self, self._root)


        def _fetch_instances(self):
            pass
            self.presence._fetch_instances()
            self.model_id._fetch_instances()
            if self.has_dtype:
                pass
                self.dtype._fetch_instances()

            if self.has_scheduler:
                pass
                self.scheduler._fetch_instances()

            self.steps._fetch_instances()
            self.guidance_scale._fetch_instances()
            self.seed._fetch_instances()
            self.height_units._fetch_instances()
            self.width_units._fetch_instances()
            self.text._fetch_instances()

        @property
        def has_cuda(self):
            """Presence bit 5.
            
            .. seealso::
               spec/bitstream.md#61-presence-bitmap
            """
            if hasattr(self, '_m_has_cuda'):
                return self._m_has_cuda

            self._m_has_cuda = self.presence.value >> 5 & 1 != 0
            return getattr(self, '_m_has_cuda', None)

        @property
        def has_device(self):
            """Presence bit 3.
            
            .. seealso::
               spec/bitstream.md#61-presence-bitmap
            """
            if hasattr(self, '_m_has_device'):
                return self._m_has_device

            self._m_has_device = self.presence.value >> 3 & 1 != 0
            return getattr(self, '_m_has_device', None)

        @property
        def has_dtype(self):
            """Presence bit 1.
            
            .. seealso::
               spec/bitstream.md#61-presence-bitmap
            """
            if hasattr(self, '_m_has_dtype'):
                return self._m_has_dtype

            self._m_has_dtype = self.presence.value >> 1 & 1 != 0
            return getattr(self, '_m_has_dtype', None)

        @property
        def has_gpu(self):
            """Presence bit 4.
            
            .. seealso::
               spec/bitstream.md#61-presence-bitmap
            """
            if hasattr(self, '_m_has_gpu'):
                return self._m_has_gpu

            self._m_has_gpu = self.presence.value >> 4 & 1 != 0
            return getattr(self, '_m_has_gpu', None)

        @property
        def has_negative_prompt(self):
            """The text block holds two strings (prompt, negative prompt); else one.
            
            .. seealso::
               spec/bitstream.md#61-presence-bitmap
            """
            if hasattr(self, '_m_has_negative_prompt'):
                return self._m_has_negative_prompt

            self._m_has_negative_prompt = self.presence.value & 1 != 0
            return getattr(self, '_m_has_negative_prompt', None)

        @property
        def has_params(self):
            """Presence bit 6.
            
            .. seealso::
               spec/bitstream.md#61-presence-bitmap
            """
            if hasattr(self, '_m_has_params'):
                return self._m_has_params

            self._m_has_params = self.presence.value >> 6 & 1 != 0
            return getattr(self, '_m_has_params', None)

        @property
        def has_platform(self):
            """Presence bit 8.
            
            .. seealso::
               spec/bitstream.md#61-presence-bitmap
            """
            if hasattr(self, '_m_has_platform'):
                return self._m_has_platform

            self._m_has_platform = self.presence.value >> 8 & 1 != 0
            return getattr(self, '_m_has_platform', None)

        @property
        def has_scheduler(self):
            """Presence bit 2.
            
            .. seealso::
               spec/bitstream.md#61-presence-bitmap
            """
            if hasattr(self, '_m_has_scheduler'):
                return self._m_has_scheduler

            self._m_has_scheduler = self.presence.value >> 2 & 1 != 0
            return getattr(self, '_m_has_scheduler', None)

        @property
        def has_scheduler_config(self):
            """Presence bit 7.
            
            .. seealso::
               spec/bitstream.md#61-presence-bitmap
            """
            if hasattr(self, '_m_has_scheduler_config'):
                return self._m_has_scheduler_config

            self._m_has_scheduler_config = self.presence.value >> 7 & 1 != 0
            return getattr(self, '_m_has_scheduler_config', None)

        @property
        def height(self):
            """Image height in pixels.
            
            .. seealso::
               spec/bitstream.md#6-body
            """
            if hasattr(self, '_m_height'):
                return self._m_height

            self._m_height = self.height_units.value * 8
            return getattr(self, '_m_height', None)

        @property
        def width(self):
            """Image width in pixels.
            
            .. seealso::
               spec/bitstream.md#6-body
            """
            if hasattr(self, '_m_width'):
                return self._m_width

            self._m_width = self.width_units.value * 8
            return getattr(self, '_m_width', None)


    class DiffcPayload(KaitaiStruct):
        """A DiffC payload (spec/diffc.md section 5). This grammar checks the version
        and frames the rest; the profile (in the registry, bound to the record's
        model, of the payload's version), the coded step count and the arithmetic-coded index stream are
        checked by the reference (aigif_ref/diffc/payload.py), which the Kaitai
        conformance adapter calls on the whole payload.
        
        .. seealso::
           spec/diffc.md#5-payload
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.DiffcPayload, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.version = self._io.read_u1()
            if not  ((self.version == 1) or (self.version == 2)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.version, self._io, u"/types/diffc_payload/seq/0")
            self.rest = self._io.read_bytes_full()


        def _fetch_instances(self):
            pass


    class DigestSha256Luma8x8(KaitaiStruct):
        """Digest algorithm 0, exactly 96 bytes.
        
        .. seealso::
           spec/bitstream.md#93-type-3-pixel-digest
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.DigestSha256Luma8x8, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_length = self._io.read_bytes(0)
            _ = self.check_length
            if not self._io.size() == 96:
                raise kaitaistruct.ValidationExprError(self.check_length, self._io, u"/types/digest_sha256_luma8x8/seq/0")
            self.sha256 = self._io.read_bytes(32)
            self.luma_signature = self._io.read_bytes(64)


        def _fetch_instances(self):
            pass


    class ExpCode(KaitaiStruct):
        """The paper's expandable code: n bytes 0xFF then a final byte 0..254, value
        255 * n + final; at most 64 bytes (values 0..16319).
        
        .. seealso::
           spec/bitstream.md#52-exp-code
        
        
        .. seealso::
           Gao et al., Sec. II.B.3 "Expandable Syntax" and Table I
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.ExpCode, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.units = []
            i = 0
            while True:
                _ = self._io.read_u1()
                self.units.append(_)
                if  ((_ != 255) or (i == 63)) :
                    break
                i += 1
            self.check_length = self._io.read_bytes(0)
            _ = self.check_length
            if not self.units[-1] != 255:
                raise kaitaistruct.ValidationExprError(self.check_length, self._io, u"/types/exp_code/seq/1")


        def _fetch_instances(self):
            pass
            for i in range(len(self.units)):
                pass


        @property
        def value(self):
            """The decoded code.
            
            .. seealso::
               spec/bitstream.md#52-exp-code
            """
            if hasattr(self, '_m_value'):
                return self._m_value

            self._m_value = 255 * (len(self.units) - 1) + self.units[-1]
            return getattr(self, '_m_value', None)


    class Extension(KaitaiStruct):
        """One extension record: uvarint (type << 1 | must_understand), uvarint
        length, body. Types are nonzero and strictly increasing within a file.
        
        .. seealso::
           spec/bitstream.md#9-extension-records
        """
        def __init__(self, index, previous_type, previous_needed_minor, _io, _parent=None, _root=None):
            super(Aigif.Extension, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.index = index
            self.previous_type = previous_type
            self.previous_needed_minor = previous_needed_minor
            self._read()

        def _read(self):
            self.header = Aigif.Uvarint(self._io, self, self._root)
            _ = self.header
            if not _.value >> 1 != 0:
                raise kaitaistruct.ValidationExprError(self.header, self._io, u"/types/extension/seq/0")
            self.check_count = self._io.read_bytes(0)
            _ = self.check_count
            if not self.index < 1024:
                raise kaitaistruct.ValidationExprError(self.check_count, self._io, u"/types/extension/seq/1")
            self.check_order = self._io.read_bytes(0)
            _ = self.check_order
            if not self.ext_type > self.previous_type:
                raise kaitaistruct.ValidationExprError(self.check_order, self._io, u"/types/extension/seq/2")
            self.check_version = self._io.read_bytes(0)
            _ = self.check_version
            if not self._root.header.version_minor >= self.own_minor:
                raise kaitaistruct.ValidationExprError(self.check_version, self._io, u"/types/extension/seq/3")
            self.length = Aigif.Uvarint(self._io, self, self._root)
            _ = self.length
            if not _.value <= 67108864:
                raise kaitaistruct.ValidationExprError(self.length, self._io, u"/types/extension/seq/4")
            _on = self.known_type
            if _on == Aigif.ExtensionType.adapters:
                pass
                self._raw_body = self._io.read_bytes(self.length.value)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = Aigif.Adapters(_io__raw_body, self, self._root)
            elif _on == Aigif.ExtensionType.model:
                pass
                self._raw_body = self._io.read_bytes(self.length.value)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = Aigif.Model(_io__raw_body, self, self._root)
            elif _on == Aigif.ExtensionType.model_file:
                pass
                self._raw_body = self._io.read_bytes(self.length.value)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = Aigif.ModelFile(_io__raw_body, self, self._root)
            elif _on == Aigif.ExtensionType.pixel_digest:
                pass
                self._raw_body = self._io.read_bytes(self.length.value)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = Aigif.PixelDigest(_io__raw_body, self, self._root)
            elif _on == Aigif.ExtensionType.pixels:
                pass
                self._raw_body = self._io.read_bytes(self.length.value)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = Aigif.Pixels(_io__raw_body, self, self._root)
            elif _on == Aigif.ExtensionType.prompt_dialect:
                pass
                self._raw_body = self._io.read_bytes(self.length.value)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = Aigif.PromptDialect(_io__raw_body, self, self._root)
            elif _on == Aigif.ExtensionType.software:
                pass
                self._raw_body = self._io.read_bytes(self.length.value)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = Aigif.Software(_io__raw_body, self, self._root)
            elif _on == Aigif.ExtensionType.source_metadata:
                pass
                self._raw_body = self._io.read_bytes(self.length.value)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = Aigif.SourceMetadata(_io__raw_body, self, self._root)
            elif _on == Aigif.ExtensionType.stages:
                pass
                self._raw_body = self._io.read_bytes(self.length.value)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = Aigif.Stages(_io__raw_body, self, self._root)
            else:
                pass
                self._raw_body = self._io.read_bytes(self.length.value)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = Aigif.UnknownExtension(_io__raw_body, self, self._root)


        def _fetch_instances(self):
            pass
            self.header._fetch_instances()
            self.length._fetch_instances()
            _on = self.known_type
            if _on == Aigif.ExtensionType.adapters:
                pass
                self.body._fetch_instances()
            elif _on == Aigif.ExtensionType.model:
                pass
                self.body._fetch_instances()
            elif _on == Aigif.ExtensionType.model_file:
                pass
                self.body._fetch_instances()
            elif _on == Aigif.ExtensionType.pixel_digest:
                pass
                self.body._fetch_instances()
            elif _on == Aigif.ExtensionType.pixels:
                pass
                self.body._fetch_instances()
            elif _on == Aigif.ExtensionType.prompt_dialect:
                pass
                self.body._fetch_instances()
            elif _on == Aigif.ExtensionType.software:
                pass
                self.body._fetch_instances()
            elif _on == Aigif.ExtensionType.source_metadata:
                pass
                self.body._fetch_instances()
            elif _on == Aigif.ExtensionType.stages:
                pass
                self.body._fetch_instances()
            else:
                pass
                self.body._fetch_instances()

        @property
        def ext_type(self):
            """The extension type (registry enumeration extension_types).
            
            .. seealso::
               spec/bitstream.md#9-extension-records
            """
            if hasattr(self, '_m_ext_type'):
                return self._m_ext_type

            self._m_ext_type = self.header.value >> 1
            return getattr(self, '_m_ext_type', None)

        @property
        def known_type(self):
            """The type as an extension_type when this grammar knows it.
            
            .. seealso::
               spec/bitstream.md#9-extension-records
            """
            if hasattr(self, '_m_known_type'):
                return self._m_known_type

            self._m_known_type = KaitaiStream.resolve_enum(Aigif.ExtensionType, self.ext_type)
            return getattr(self, '_m_known_type', None)

        @property
        def must_understand(self):
            """A reader that does not know this type must reject the file.
            
            .. seealso::
               spec/bitstream.md#9-extension-records
            """
            if hasattr(self, '_m_must_understand'):
                return self._m_must_understand

            self._m_must_understand = self.header.value & 1 != 0
            return getattr(self, '_m_must_understand', None)

        @property
        def needed_minor(self):
            """The lowest minor version this record and the ones before it need.
            
            .. seealso::
               spec/bitstream.md#3-signature-and-version
            """
            if hasattr(self, '_m_needed_minor'):
                return self._m_needed_minor

            self._m_needed_minor = (self.own_minor if self.own_minor > self.previous_needed_minor else self.previous_needed_minor)
            return getattr(self, '_m_needed_minor', None)

        @property
        def own_minor(self):
            """The minor version that defined this type (0 for 1.0 types and types this grammar does not know).
            
            .. seealso::
               spec/bitstream.md#3-signature-and-version
            """
            if hasattr(self, '_m_own_minor'):
                return self._m_own_minor

            self._m_own_minor = (1 if  ((self.ext_type == 2) or (self.ext_type == 4) or (self.ext_type == 5) or (self.ext_type == 6) or (self.ext_type == 7) or (self.ext_type == 8) or (self.ext_type == 9))  else 0)
            return getattr(self, '_m_own_minor', None)


    class Flag(KaitaiStruct):
        """A boolean byte, 0x00 or 0x01.
        
        .. seealso::
           spec/bitstream.md#54-bool-pair-version-size
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Flag, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.byte = self._io.read_u1()
            if not self.byte <= 1:
                raise kaitaistruct.ValidationGreaterThanError(1, self.byte, self._io, u"/types/flag/seq/0")


        def _fetch_instances(self):
            pass

        @property
        def value(self):
            """The boolean.
            
            .. seealso::
               spec/bitstream.md#54-bool-pair-version-size
            """
            if hasattr(self, '_m_value'):
                return self._m_value

            self._m_value = self.byte != 0
            return getattr(self, '_m_value', None)


    class Header(KaitaiStruct):
        """The 9-byte header. The CRC-32 covers the whole file except itself.
        
        .. seealso::
           spec/bitstream.md#2-file-structure
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Header, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_file_size = self._io.read_bytes(0)
            _ = self.check_file_size
            if not self._io.size() <= 268435456:
                raise kaitaistruct.ValidationExprError(self.check_file_size, self._io, u"/types/header/seq/0")
            self.signature = Aigif.Signature(self._io, self, self._root)
            self.version_major = self._io.read_bits_int_be(4)
            if not self.version_major == 1:
                raise kaitaistruct.ValidationNotEqualError(1, self.version_major, self._io, u"/types/header/seq/2")
            self.version_minor = self._io.read_bits_int_be(4)
            self.crc32 = self._io.read_u4le()


        def _fetch_instances(self):
            pass
            self.signature._fetch_instances()


    class JxlImage(KaitaiStruct):
        """A bare JPEG XL codestream (ISO/IEC 18181-1; signature FF 0A, never the
        ISOBMFF container) whose SizeHeader matches the record's height and width.
        Only the signature and SizeHeader are checked here; the rest is the JPEG XL
        decoder's job.
        
        .. seealso::
           spec/bitstream.md#91-type-1-pixels
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.JxlImage, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_length = self._io.read_bytes(0)
            _ = self.check_length
            if not self._io.size() >= 12:
                raise kaitaistruct.ValidationExprError(self.check_length, self._io, u"/types/jxl_image/seq/0")
            self.jxl_signature = self._io.read_bytes(2)
            if not self.jxl_signature == b"\xFF\x0A":
                raise kaitaistruct.ValidationNotEqualError(b"\xFF\x0A", self.jxl_signature, self._io, u"/types/jxl_image/seq/1")
            self.small = self._io.read_bits_int_le(1) != 0
            if self.small:
                pass
                self.height_div8_minus_1 = self._io.read_bits_int_le(5)

            if (not (self.small)):
                pass
                self.height_selector = self._io.read_bits_int_le(2)

            if  (((not (self.small))) and (self.height_selector == 0)) :
                pass
                self.height_minus_1_9 = self._io.read_bits_int_le(9)

            if  (((not (self.small))) and (self.height_selector == 1)) :
                pass
                self.height_minus_1_13 = self._io.read_bits_int_le(13)

            if  (((not (self.small))) and (self.height_selector == 2)) :
                pass
                self.height_minus_1_18 = self._io.read_bits_int_le(18)

            if  (((not (self.small))) and (self.height_selector == 3)) :
                pass
                self.height_minus_1_30 = self._io.read_bits_int_le(30)

            self.ratio = self._io.read_bits_int_le(3)
            if  ((self.ratio == 0) and (self.small)) :
                pass
                self.width_div8_minus_1 = self._io.read_bits_int_le(5)

            if  ((self.ratio == 0) and ((not (self.small)))) :
                pass
                self.width_selector = self._io.read_bits_int_le(2)

            if  ((self.ratio == 0) and ((not (self.small))) and (self.width_selector == 0)) :
                pass
                self.width_minus_1_9 = self._io.read_bits_int_le(9)

            if  ((self.ratio == 0) and ((not (self.small))) and (self.width_selector == 1)) :
                pass
                self.width_minus_1_13 = self._io.read_bits_int_le(13)

            if  ((self.ratio == 0) and ((not (self.small))) and (self.width_selector == 2)) :
                pass
                self.width_minus_1_18 = self._io.read_bits_int_le(18)

            if  ((self.ratio == 0) and ((not (self.small))) and (self.width_selector == 3)) :
                pass
                self.width_minus_1_30 = self._io.read_bits_int_le(30)

            self.check_height = self._io.read_bytes(0)
            _ = self.check_height
            if not self.jxl_height == self._parent.height:
                raise kaitaistruct.ValidationExprError(self.check_height, self._io, u"/types/jxl_image/seq/16")
            self.check_width = self._io.read_bytes(0)
            _ = self.check_width
            if not self.jxl_width == self._parent.width:
                raise kaitaistruct.ValidationExprError(self.check_width, self._io, u"/types/jxl_image/seq/17")
            self.rest = self._io.read_bytes_full()


        def _fetch_instances(self):
            pass
            if self.small:
                pass

            if (not (self.small)):
                pass

            if  (((not (self.small))) and (self.height_selector == 0)) :
                pass

            if  (((not (self.small))) and (self.height_selector == 1)) :
                pass

            if  (((not (self.small))) and (self.height_selector == 2)) :
                pass

            if  (((not (self.small))) and (self.height_selector == 3)) :
                pass

            if  ((self.ratio == 0) and (self.small)) :
                pass

            if  ((self.ratio == 0) and ((not (self.small)))) :
                pass

            if  ((self.ratio == 0) and ((not (self.small))) and (self.width_selector == 0)) :
                pass

            if  ((self.ratio == 0) and ((not (self.small))) and (self.width_selector == 1)) :
                pass

            if  ((self.ratio == 0) and ((not (self.small))) and (self.width_selector == 2)) :
                pass

            if  ((self.ratio == 0) and ((not (self.small))) and (self.width_selector == 3)) :
                pass


        @property
        def jxl_height(self):
            """The codestream's height in pixels.
            
            .. seealso::
               spec/bitstream.md#91-type-1-pixels
            """
            if hasattr(self, '_m_jxl_height'):
                return self._m_jxl_height

            self._m_jxl_height = ((self.height_div8_minus_1 + 1) * 8 if self.small else (self.height_minus_1_9 if self.height_selector == 0 else (self.height_minus_1_13 if self.height_selector == 1 else (self.height_minus_1_18 if self.height_selector == 2 else self.height_minus_1_30))) + 1)
            return getattr(self, '_m_jxl_height', None)

        @property
        def jxl_width(self):
            """The codestream's width in pixels (from the ratio code, or stored).
            
            .. seealso::
               spec/bitstream.md#91-type-1-pixels
            """
            if hasattr(self, '_m_jxl_width'):
                return self._m_jxl_width

            self._m_jxl_width = (self.jxl_height if self.ratio == 1 else ((self.jxl_height * 12) // 10 if self.ratio == 2 else ((self.jxl_height * 4) // 3 if self.ratio == 3 else ((self.jxl_height * 3) // 2 if self.ratio == 4 else ((self.jxl_height * 16) // 9 if self.ratio == 5 else ((self.jxl_height * 5) // 4 if self.ratio == 6 else (self.jxl_height * 2 if self.ratio == 7 else ((self.width_div8_minus_1 + 1) * 8 if self.small else (self.width_minus_1_9 if self.width_selector == 0 else (self.width_minus_1_13 if self.width_selector == 1 else (self.width_minus_1_18 if self.width_selector == 2 else self.width_minus_1_30))) + 1))))))))
            return getattr(self, '_m_jxl_width', None)


    class Model(KaitaiStruct):
        """Extension type 2: the model (Table I "saving model" = 1, with its model
        compressor): a model payload (spec/model_payload.ksy) embedded in the
        record or referenced by its sha256. A reader also checks that an
        embedded payload's sha256 equals payload_sha256 (AIGIF_E_EXTENSION),
        which Kaitai cannot compute.
        
        .. seealso::
           spec/bitstream.md#92-type-2-model
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Model, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_must_understand = self._io.read_bytes(0)
            _ = self.check_must_understand
            if not self._parent.must_understand:
                raise kaitaistruct.ValidationExprError(self.check_must_understand, self._io, u"/types/model/seq/0")
            self.compressor = Aigif.ExpCode(self._io, self, self._root)
            _ = self.compressor
            if not _.value <= 4:
                raise kaitaistruct.ValidationExprError(self.compressor, self._io, u"/types/model/seq/1")
            self.storage = Aigif.ExpCode(self._io, self, self._root)
            _ = self.storage
            if not _.value <= 1:
                raise kaitaistruct.ValidationExprError(self.storage, self._io, u"/types/model/seq/2")
            self.payload_sha256 = self._io.read_bytes(32)
            self.payload_size = Aigif.Uvarint(self._io, self, self._root)
            _ = self.payload_size
            if not _.value <= 68719476736:
                raise kaitaistruct.ValidationExprError(self.payload_size, self._io, u"/types/model/seq/4")
            self.payload = self._io.read_bytes_full()
            self.check_payload_length = self._io.read_bytes(0)
            _ = self.check_payload_length
            if not len(self.payload) == (self.payload_size.value if self.storage.value == 0 else 0):
                raise kaitaistruct.ValidationExprError(self.check_payload_length, self._io, u"/types/model/seq/6")


        def _fetch_instances(self):
            pass
            self.compressor._fetch_instances()
            self.storage._fetch_instances()
            self.payload_size._fetch_instances()


    class ModelFile(KaitaiStruct):
        """Extension type 4, model_file: the checkpoint file by content hash (single-file weights); the core model_id gives family and config. The codes' registry check and the rules across fields (spec section 9.4) are the reader's.
        
        .. seealso::
           spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.ModelFile, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_must_understand = self._io.read_bytes(0)
            _ = self.check_must_understand
            if not self._parent.must_understand:
                raise kaitaistruct.ValidationExprError(self.check_must_understand, self._io, u"/types/model_file/seq/0")
            self.hash_algorithm = Aigif.ExpCode(self._io, self, self._root)
            self.check_digest_algorithm = self._io.read_bytes(0)
            _ = self.check_digest_algorithm
            if not  ((self.hash_algorithm.value == 0) or (self.hash_algorithm.value == 1) or (self.hash_algorithm.value == 2)) :
                raise kaitaistruct.ValidationExprError(self.check_digest_algorithm, self._io, u"/types/model_file/seq/2")
            self.digest = self._io.read_bytes((32 if self.hash_algorithm.value == 0 else (5 if self.hash_algorithm.value == 1 else 4)))
            self.name_len = Aigif.Uvarint(self._io, self, self._root)
            _ = self.name_len
            if not _.value <= 255:
                raise kaitaistruct.ValidationExprError(self.name_len, self._io, u"/types/model_file/seq/4")
            self.name = (self._io.read_bytes(self.name_len.value)).decode(u"UTF-8")
            self.check_end = self._io.read_bytes(0)
            _ = self.check_end
            if not self._io.is_eof():
                raise kaitaistruct.ValidationExprError(self.check_end, self._io, u"/types/model_file/seq/6")


        def _fetch_instances(self):
            pass
            self.hash_algorithm._fetch_instances()
            self.name_len._fetch_instances()


    class Pair(KaitaiStruct):
        """Two uvarints, e.g. SDXL's (height, width) micro-conditioning.
        
        .. seealso::
           spec/bitstream.md#54-bool-pair-version-size
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Pair, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.first = Aigif.Uvarint(self._io, self, self._root)
            self.second = Aigif.Uvarint(self._io, self, self._root)


        def _fetch_instances(self):
            pass
            self.first._fetch_instances()
            self.second._fetch_instances()


    class Params(KaitaiStruct):
        """Group "params": a nonzero bitmap without reserved bits, then the value of
        every set bit in increasing bit order. Which parameters a model family
        accepts is registry data.
        
        .. seealso::
           spec/bitstream.md#81-params-model-dependent-pipeline-arguments
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Params, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.bitmap = Aigif.Uvarint(self._io, self, self._root)
            _ = self.bitmap
            if not _.value != 0:
                raise kaitaistruct.ValidationExprError(self.bitmap, self._io, u"/types/params/seq/0")
            self.check_reserved = self._io.read_bytes(0)
            _ = self.check_reserved
            if not self.bitmap.value >> 19 == 0:
                raise kaitaistruct.ValidationExprError(self.check_reserved, self._io, u"/types/params/seq/1")
            if self.bitmap.value & 1 != 0:
                pass
                self.clip_skip = Aigif.Uvarint(self._io, self, self._root)
                _ = self.clip_skip
                if not  ((_.value >= 1) and (_.value <= 64)) :
                    raise kaitaistruct.ValidationExprError(self.clip_skip, self._io, u"/types/params/seq/2")

            if self.bitmap.value >> 1 & 1 != 0:
                pass
                self.eta = Aigif.Cfloat(self._io, self, self._root)

            if self.bitmap.value >> 2 & 1 != 0:
                pass
                self.guidance_rescale = Aigif.Cfloat(self._io, self, self._root)

            if self.bitmap.value >> 3 & 1 != 0:
                pass
                self.original_size = Aigif.Pair(self._io, self, self._root)

            if self.bitmap.value >> 4 & 1 != 0:
                pass
                self.target_size = Aigif.Pair(self._io, self, self._root)

            if self.bitmap.value >> 5 & 1 != 0:
                pass
                self.crops_coords_top_left = Aigif.Pair(self._io, self, self._root)

            if self.bitmap.value >> 6 & 1 != 0:
                pass
                self.negative_original_size = Aigif.Pair(self._io, self, self._root)

            if self.bitmap.value >> 7 & 1 != 0:
                pass
                self.negative_target_size = Aigif.Pair(self._io, self, self._root)

            if self.bitmap.value >> 8 & 1 != 0:
                pass
                self.negative_crops_coords_top_left = Aigif.Pair(self._io, self, self._root)

            if self.bitmap.value >> 9 & 1 != 0:
                pass
                self.aesthetic_score = Aigif.Cfloat(self._io, self, self._root)

            if self.bitmap.value >> 10 & 1 != 0:
                pass
                self.negative_aesthetic_score = Aigif.Cfloat(self._io, self, self._root)

            if self.bitmap.value >> 11 & 1 != 0:
                pass
                self.max_sequence_length = Aigif.Uvarint(self._io, self, self._root)
                _ = self.max_sequence_length
                if not  ((_.value >= 1) and (_.value <= 4096)) :
                    raise kaitaistruct.ValidationExprError(self.max_sequence_length, self._io, u"/types/params/seq/13")

            if self.bitmap.value >> 12 & 1 != 0:
                pass
                self.true_cfg_scale = Aigif.Cfloat(self._io, self, self._root)

            if self.bitmap.value >> 13 & 1 != 0:
                pass
                self.denoising_end = Aigif.Cfloat(self._io, self, self._root)

            if self.bitmap.value >> 14 & 1 != 0:
                pass
                self.denoising_start = Aigif.Cfloat(self._io, self, self._root)

            if self.bitmap.value >> 15 & 1 != 0:
                pass
                self.add_watermarker = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 16 & 1 != 0:
                pass
                self.safety_checker = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 17 & 1 != 0:
                pass
                self.vae_tiling = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 18 & 1 != 0:
                pass
                self.vae_upcast = Aigif.Flag(self._io, self, self._root)



        def _fetch_instances(self):
            pass
            self.bitmap._fetch_instances()
            if self.bitmap.value & 1 != 0:
                pass
                self.clip_skip._fetch_instances()

            if self.bitmap.value >> 1 & 1 != 0:
                pass
                self.eta._fetch_instances()

            if self.bitmap.value >> 2 & 1 != 0:
                pass
                self.guidance_rescale._fetch_instances()

            if self.bitmap.value >> 3 & 1 != 0:
                pass
                self.original_size._fetch_instances()

            if self.bitmap.value >> 4 & 1 != 0:
                pass
                self.target_size._fetch_instances()

            if self.bitmap.value >> 5 & 1 != 0:
                pass
                self.crops_coords_top_left._fetch_instances()

            if self.bitmap.value >> 6 & 1 != 0:
                pass
                self.negative_original_size._fetch_instances()

            if self.bitmap.value >> 7 & 1 != 0:
                pass
                self.negative_target_size._fetch_instances()

            if self.bitmap.value >> 8 & 1 != 0:
                pass
                self.negative_crops_coords_top_left._fetch_instances()

            if self.bitmap.value >> 9 & 1 != 0:
                pass
                self.aesthetic_score._fetch_instances()

            if self.bitmap.value >> 10 & 1 != 0:
                pass
                self.negative_aesthetic_score._fetch_instances()

            if self.bitmap.value >> 11 & 1 != 0:
                pass
                self.max_sequence_length._fetch_instances()

            if self.bitmap.value >> 12 & 1 != 0:
                pass
                self.true_cfg_scale._fetch_instances()

            if self.bitmap.value >> 13 & 1 != 0:
                pass
                self.denoising_end._fetch_instances()

            if self.bitmap.value >> 14 & 1 != 0:
                pass
                self.denoising_start._fetch_instances()

            if self.bitmap.value >> 15 & 1 != 0:
                pass
                self.add_watermarker._fetch_instances()

            if self.bitmap.value >> 16 & 1 != 0:
                pass
                self.safety_checker._fetch_instances()

            if self.bitmap.value >> 17 & 1 != 0:
                pass
                self.vae_tiling._fetch_instances()

            if self.bitmap.value >> 18 & 1 != 0:
                pass
                self.vae_upcast._fetch_instances()



    class PixelDigest(KaitaiStruct):
        """Extension type 3: a digest of the original pixels, so that a file can prove
        its own regeneration. Algorithm 0 (sha256-rgb8-luma8x8): SHA-256 of the
        RGB8 buffer, then an 8x8 mean-luma signature.
        
        .. seealso::
           spec/bitstream.md#93-type-3-pixel-digest
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.PixelDigest, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_must_understand = self._io.read_bytes(0)
            _ = self.check_must_understand
            if not (not (self._parent.must_understand)):
                raise kaitaistruct.ValidationExprError(self.check_must_understand, self._io, u"/types/pixel_digest/seq/0")
            self.algorithm = Aigif.ExpCode(self._io, self, self._root)
            _ = self.algorithm
            if not _.value == 0:
                raise kaitaistruct.ValidationExprError(self.algorithm, self._io, u"/types/pixel_digest/seq/1")
            self._raw_digest = self._io.read_bytes_full()
            _io__raw_digest = KaitaiStream(BytesIO(self._raw_digest))
            self.digest = Aigif.DigestSha256Luma8x8(_io__raw_digest, self, self._root)


        def _fetch_instances(self):
            pass
            self.algorithm._fetch_instances()
            self.digest._fetch_instances()


    class Pixels(KaitaiStruct):
        """Extension type 1: the original pixels (Table I "saving pixels" = 1, the
        paper's dashed path in Fig. 1).
        
        .. seealso::
           spec/bitstream.md#91-type-1-pixels
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Pixels, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_must_understand = self._io.read_bytes(0)
            _ = self.check_must_understand
            if not (not (self._parent.must_understand)):
                raise kaitaistruct.ValidationExprError(self.check_must_understand, self._io, u"/types/pixels/seq/0")
            self.compressor = Aigif.ExpCode(self._io, self, self._root)
            _ = self.compressor
            if not _.value <= 3:
                raise kaitaistruct.ValidationExprError(self.compressor, self._io, u"/types/pixels/seq/1")
            _on = self.compressor_kind
            if _on == Aigif.PixelCompressor.diffc:
                pass
                self._raw_data = self._io.read_bytes_full()
                _io__raw_data = KaitaiStream(BytesIO(self._raw_data))
                self.data = Aigif.DiffcPayload(_io__raw_data, self, self._root)
            elif _on == Aigif.PixelCompressor.jxl:
                pass
                self._raw_data = self._io.read_bytes_full()
                _io__raw_data = KaitaiStream(BytesIO(self._raw_data))
                self.data = Aigif.JxlImage(_io__raw_data, self, self._root)
            elif _on == Aigif.PixelCompressor.png:
                pass
                self._raw_data = self._io.read_bytes_full()
                _io__raw_data = KaitaiStream(BytesIO(self._raw_data))
                self.data = Aigif.PngImage(_io__raw_data, self, self._root)
            elif _on == Aigif.PixelCompressor.raw_rgb8:
                pass
                self._raw_data = self._io.read_bytes_full()
                _io__raw_data = KaitaiStream(BytesIO(self._raw_data))
                self.data = Aigif.RawRgb8(_io__raw_data, self, self._root)
            else:
                pass
                self.data = self._io.read_bytes_full()


        def _fetch_instances(self):
            pass
            self.compressor._fetch_instances()
            _on = self.compressor_kind
            if _on == Aigif.PixelCompressor.diffc:
                pass
                self.data._fetch_instances()
            elif _on == Aigif.PixelCompressor.jxl:
                pass
                self.data._fetch_instances()
            elif _on == Aigif.PixelCompressor.png:
                pass
                self.data._fetch_instances()
            elif _on == Aigif.PixelCompressor.raw_rgb8:
                pass
                self.data._fetch_instances()
            else:
                pass

        @property
        def compressor_kind(self):
            """The compressor as an enum.
            
            .. seealso::
               spec/bitstream.md#91-type-1-pixels
            """
            if hasattr(self, '_m_compressor_kind'):
                return self._m_compressor_kind

            self._m_compressor_kind = KaitaiStream.resolve_enum(Aigif.PixelCompressor, self.compressor.value)
            return getattr(self, '_m_compressor_kind', None)

        @property
        def height(self):
            """The record's image height in pixels (the extension's parent is the body).
            
            .. seealso::
               spec/bitstream.md#6-body
            """
            if hasattr(self, '_m_height'):
                return self._m_height

            self._m_height = self._parent._parent.core.height
            return getattr(self, '_m_height', None)

        @property
        def width(self):
            """The record's image width in pixels.
            
            .. seealso::
               spec/bitstream.md#6-body
            """
            if hasattr(self, '_m_width'):
                return self._m_width

            self._m_width = self._parent._parent.core.width
            return getattr(self, '_m_width', None)


    class Platform(KaitaiStruct):
        """Group "platform": a nonzero bitmap without reserved bits, then the value of
        every set bit in increasing bit order.
        
        .. seealso::
           spec/bitstream.md#84-platform-software-and-determinism-settings
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Platform, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.bitmap = Aigif.Uvarint(self._io, self, self._root)
            _ = self.bitmap
            if not _.value != 0:
                raise kaitaistruct.ValidationExprError(self.bitmap, self._io, u"/types/platform/seq/0")
            self.check_reserved = self._io.read_bytes(0)
            _ = self.check_reserved
            if not self.bitmap.value >> 13 == 0:
                raise kaitaistruct.ValidationExprError(self.check_reserved, self._io, u"/types/platform/seq/1")
            self.check_version = self._io.read_bytes(0)
            _ = self.check_version
            if not self._root.header.version_minor >= (1 if self.bitmap.value & 4096 != 0 else 0):
                raise kaitaistruct.ValidationExprError(self.check_version, self._io, u"/types/platform/seq/2")
            if self.bitmap.value & 1 != 0:
                pass
                self.torch_version = Aigif.Version(self._io, self, self._root)

            if self.bitmap.value >> 1 & 1 != 0:
                pass
                self.diffusers_version = Aigif.Version(self._io, self, self._root)

            if self.bitmap.value >> 2 & 1 != 0:
                pass
                self.transformers_version = Aigif.Version(self._io, self, self._root)

            if self.bitmap.value >> 3 & 1 != 0:
                pass
                self.matmul_tf32 = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 4 & 1 != 0:
                pass
                self.cudnn_tf32 = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 5 & 1 != 0:
                pass
                self.deterministic_algorithms = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 6 & 1 != 0:
                pass
                self.cudnn_benchmark = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 7 & 1 != 0:
                pass
                self.attention_backend = Aigif.ExpCode(self._io, self, self._root)

            if self.bitmap.value >> 8 & 1 != 0:
                pass
                self.batch_size = Aigif.Uvarint(self._io, self, self._root)
                _ = self.batch_size
                if not  ((_.value >= 1) and (_.value <= 4096)) :
                    raise kaitaistruct.ValidationExprError(self.batch_size, self._io, u"/types/platform/seq/11")

            if self.bitmap.value >> 9 & 1 != 0:
                pass
                self.batch_index = Aigif.Uvarint(self._io, self, self._root)
                _ = self.batch_index
                if not _.value <= 4095:
                    raise kaitaistruct.ValidationExprError(self.batch_index, self._io, u"/types/platform/seq/12")

            if self.bitmap.value >> 10 & 1 != 0:
                pass
                self.generator_device = Aigif.ExpCode(self._io, self, self._root)

            if self.bitmap.value >> 11 & 1 != 0:
                pass
                self.num_threads = Aigif.Uvarint(self._io, self, self._root)
                _ = self.num_threads
                if not  ((_.value >= 1) and (_.value <= 4096)) :
                    raise kaitaistruct.ValidationExprError(self.num_threads, self._io, u"/types/platform/seq/14")

            if self.bitmap.value >> 12 & 1 != 0:
                pass
                self.cpu_capability = Aigif.ExpCode(self._io, self, self._root)



        def _fetch_instances(self):
            pass
            self.bitmap._fetch_instances()
            if self.bitmap.value & 1 != 0:
                pass
                self.torch_version._fetch_instances()

            if self.bitmap.value >> 1 & 1 != 0:
                pass
                self.diffusers_version._fetch_instances()

            if self.bitmap.value >> 2 & 1 != 0:
                pass
                self.transformers_version._fetch_instances()

            if self.bitmap.value >> 3 & 1 != 0:
                pass
                self.matmul_tf32._fetch_instances()

            if self.bitmap.value >> 4 & 1 != 0:
                pass
                self.cudnn_tf32._fetch_instances()

            if self.bitmap.value >> 5 & 1 != 0:
                pass
                self.deterministic_algorithms._fetch_instances()

            if self.bitmap.value >> 6 & 1 != 0:
                pass
                self.cudnn_benchmark._fetch_instances()

            if self.bitmap.value >> 7 & 1 != 0:
                pass
                self.attention_backend._fetch_instances()

            if self.bitmap.value >> 8 & 1 != 0:
                pass
                self.batch_size._fetch_instances()

            if self.bitmap.value >> 9 & 1 != 0:
                pass
                self.batch_index._fetch_instances()

            if self.bitmap.value >> 10 & 1 != 0:
                pass
                self.generator_device._fetch_instances()

            if self.bitmap.value >> 11 & 1 != 0:
                pass
                self.num_threads._fetch_instances()

            if self.bitmap.value >> 12 & 1 != 0:
                pass
                self.cpu_capability._fetch_instances()



    class PngImage(KaitaiStruct):
        """A PNG stream whose IHDR matches the record's height and width. Only the
        signature and IHDR are checked here; the rest is the PNG decoder's job.
        
        .. seealso::
           spec/bitstream.md#91-type-1-pixels
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.PngImage, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_length = self._io.read_bytes(0)
            _ = self.check_length
            if not self._io.size() >= 24:
                raise kaitaistruct.ValidationExprError(self.check_length, self._io, u"/types/png_image/seq/0")
            self.png_signature = self._io.read_bytes(8)
            if not self.png_signature == b"\x89\x50\x4E\x47\x0D\x0A\x1A\x0A":
                raise kaitaistruct.ValidationNotEqualError(b"\x89\x50\x4E\x47\x0D\x0A\x1A\x0A", self.png_signature, self._io, u"/types/png_image/seq/1")
            self.ihdr_length = self._io.read_u4be()
            self.ihdr_type = self._io.read_bytes(4)
            if not self.ihdr_type == b"\x49\x48\x44\x52":
                raise kaitaistruct.ValidationNotEqualError(b"\x49\x48\x44\x52", self.ihdr_type, self._io, u"/types/png_image/seq/3")
            self.png_width = self._io.read_u4be()
            _ = self.png_width
            if not _ == self._parent.width:
                raise kaitaistruct.ValidationExprError(self.png_width, self._io, u"/types/png_image/seq/4")
            self.png_height = self._io.read_u4be()
            _ = self.png_height
            if not _ == self._parent.height:
                raise kaitaistruct.ValidationExprError(self.png_height, self._io, u"/types/png_image/seq/5")
            self.rest = self._io.read_bytes_full()


        def _fetch_instances(self):
            pass


    class PromptDialect(KaitaiStruct):
        """Extension type 7, prompt_dialect: the syntax the prompts are written in (A1111, ComfyUI, compel weighting). The codes' registry check and the rules across fields (spec section 9.4) are the reader's.
        
        .. seealso::
           spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.PromptDialect, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_must_understand = self._io.read_bytes(0)
            _ = self.check_must_understand
            if not self._parent.must_understand:
                raise kaitaistruct.ValidationExprError(self.check_must_understand, self._io, u"/types/prompt_dialect/seq/0")
            self.dialect = Aigif.ExpCode(self._io, self, self._root)
            self.check_end = self._io.read_bytes(0)
            _ = self.check_end
            if not self._io.is_eof():
                raise kaitaistruct.ValidationExprError(self.check_end, self._io, u"/types/prompt_dialect/seq/2")


        def _fetch_instances(self):
            pass
            self.dialect._fetch_instances()


    class RawFloat32(KaitaiStruct):
        """A raw float32 that must be finite and not writable in the compact form.
        
        .. seealso::
           spec/bitstream.md#53-compact-float
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.RawFloat32, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.bits = self._io.read_u4le()
            _ = self.bits
            if not _ & 2139095040 != 2139095040:
                raise kaitaistruct.ValidationExprError(self.bits, self._io, u"/types/raw_float32/seq/0")
            self.check_not_compact = self._io.read_bytes(0)
            _ = self.check_not_compact
            if not (not (self.is_quarter)):
                raise kaitaistruct.ValidationExprError(self.check_not_compact, self._io, u"/types/raw_float32/seq/1")


        def _fetch_instances(self):
            pass
            _ = self.value
            if hasattr(self, '_m_value'):
                pass


        @property
        def biased_exponent(self):
            """The exponent field.
            
            .. seealso::
               spec/bitstream.md#53-compact-float
            """
            if hasattr(self, '_m_biased_exponent'):
                return self._m_biased_exponent

            self._m_biased_exponent = self.bits >> 23 & 255
            return getattr(self, '_m_biased_exponent', None)

        @property
        def is_quarter(self):
            """True for +0.0 and for positive normals k/4 with k < 2**24: value * 4 =
            significand * 2**(exponent - 148) is an integer below 2**24 exactly
            when the exponent is at most 148 and the low (148 - exponent) bits of
            the significand are zero (so the exponent is at least 125).
            
            .. seealso::
               spec/bitstream.md#53-compact-float
            """
            if hasattr(self, '_m_is_quarter'):
                return self._m_is_quarter

            self._m_is_quarter =  ((self.bits == 0) or ( ((self.bits >> 31 == 0) and (self.biased_exponent >= 125) and (self.biased_exponent <= 148) and (self.significand & (1 << 148 - self.biased_exponent) - 1 == 0)) )) 
            return getattr(self, '_m_is_quarter', None)

        @property
        def significand(self):
            """The significand of a normal number, implicit bit included.
            
            .. seealso::
               spec/bitstream.md#53-compact-float
            """
            if hasattr(self, '_m_significand'):
                return self._m_significand

            self._m_significand = self.bits & 8388607 | 8388608
            return getattr(self, '_m_significand', None)

        @property
        def value(self):
            """The value.
            
            .. seealso::
               spec/bitstream.md#53-compact-float
            """
            if hasattr(self, '_m_value'):
                return self._m_value

            _pos = self._io.pos()
            self._io.seek(0)
            self._m_value = self._io.read_f4le()
            self._io.seek(_pos)
            return getattr(self, '_m_value', None)


    class RawRgb8(KaitaiStruct):
        """Uncompressed 8-bit RGB, row-major, height x width x 3 bytes.
        
        .. seealso::
           spec/bitstream.md#91-type-1-pixels
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.RawRgb8, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.rgb = self._io.read_bytes_full()
            _ = self.rgb
            if not len(_) == (self._parent.height * self._parent.width) * 3:
                raise kaitaistruct.ValidationExprError(self.rgb, self._io, u"/types/raw_rgb8/seq/0")


        def _fetch_instances(self):
            pass


    class SchedulerConfig(KaitaiStruct):
        """Group "scheduler_config": a nonzero bitmap without reserved bits, then the
        value of every set bit in increasing bit order. Enumerations are registry
        codes; unlike the top-level enumerations they may be 0.
        
        .. seealso::
           spec/bitstream.md#83-scheduler_config-scheduler-configuration
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.SchedulerConfig, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.bitmap = Aigif.Uvarint(self._io, self, self._root)
            _ = self.bitmap
            if not _.value != 0:
                raise kaitaistruct.ValidationExprError(self.bitmap, self._io, u"/types/scheduler_config/seq/0")
            self.check_reserved = self._io.read_bytes(0)
            _ = self.check_reserved
            if not self.bitmap.value >> 20 == 0:
                raise kaitaistruct.ValidationExprError(self.check_reserved, self._io, u"/types/scheduler_config/seq/1")
            if self.bitmap.value & 1 != 0:
                pass
                self.timestep_spacing = Aigif.ExpCode(self._io, self, self._root)

            if self.bitmap.value >> 1 & 1 != 0:
                pass
                self.use_karras_sigmas = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 2 & 1 != 0:
                pass
                self.steps_offset = Aigif.Uvarint(self._io, self, self._root)
                _ = self.steps_offset
                if not _.value <= 1000:
                    raise kaitaistruct.ValidationExprError(self.steps_offset, self._io, u"/types/scheduler_config/seq/4")

            if self.bitmap.value >> 3 & 1 != 0:
                pass
                self.prediction_type = Aigif.ExpCode(self._io, self, self._root)

            if self.bitmap.value >> 4 & 1 != 0:
                pass
                self.beta_schedule = Aigif.ExpCode(self._io, self, self._root)

            if self.bitmap.value >> 5 & 1 != 0:
                pass
                self.beta_start = Aigif.Cfloat(self._io, self, self._root)

            if self.bitmap.value >> 6 & 1 != 0:
                pass
                self.beta_end = Aigif.Cfloat(self._io, self, self._root)

            if self.bitmap.value >> 7 & 1 != 0:
                pass
                self.rescale_betas_zero_snr = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 8 & 1 != 0:
                pass
                self.final_sigmas_type = Aigif.ExpCode(self._io, self, self._root)

            if self.bitmap.value >> 9 & 1 != 0:
                pass
                self.algorithm_type = Aigif.ExpCode(self._io, self, self._root)

            if self.bitmap.value >> 10 & 1 != 0:
                pass
                self.solver_order = Aigif.Uvarint(self._io, self, self._root)
                _ = self.solver_order
                if not  ((_.value >= 1) and (_.value <= 3)) :
                    raise kaitaistruct.ValidationExprError(self.solver_order, self._io, u"/types/scheduler_config/seq/12")

            if self.bitmap.value >> 11 & 1 != 0:
                pass
                self.use_exponential_sigmas = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 12 & 1 != 0:
                pass
                self.use_beta_sigmas = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 13 & 1 != 0:
                pass
                self.shift = Aigif.Cfloat(self._io, self, self._root)

            if self.bitmap.value >> 14 & 1 != 0:
                pass
                self.use_dynamic_shifting = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 15 & 1 != 0:
                pass
                self.clip_sample = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 16 & 1 != 0:
                pass
                self.set_alpha_to_one = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 17 & 1 != 0:
                pass
                self.lower_order_final = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 18 & 1 != 0:
                pass
                self.euler_at_final = Aigif.Flag(self._io, self, self._root)

            if self.bitmap.value >> 19 & 1 != 0:
                pass
                self.thresholding = Aigif.Flag(self._io, self, self._root)



        def _fetch_instances(self):
            pass
            self.bitmap._fetch_instances()
            if self.bitmap.value & 1 != 0:
                pass
                self.timestep_spacing._fetch_instances()

            if self.bitmap.value >> 1 & 1 != 0:
                pass
                self.use_karras_sigmas._fetch_instances()

            if self.bitmap.value >> 2 & 1 != 0:
                pass
                self.steps_offset._fetch_instances()

            if self.bitmap.value >> 3 & 1 != 0:
                pass
                self.prediction_type._fetch_instances()

            if self.bitmap.value >> 4 & 1 != 0:
                pass
                self.beta_schedule._fetch_instances()

            if self.bitmap.value >> 5 & 1 != 0:
                pass
                self.beta_start._fetch_instances()

            if self.bitmap.value >> 6 & 1 != 0:
                pass
                self.beta_end._fetch_instances()

            if self.bitmap.value >> 7 & 1 != 0:
                pass
                self.rescale_betas_zero_snr._fetch_instances()

            if self.bitmap.value >> 8 & 1 != 0:
                pass
                self.final_sigmas_type._fetch_instances()

            if self.bitmap.value >> 9 & 1 != 0:
                pass
                self.algorithm_type._fetch_instances()

            if self.bitmap.value >> 10 & 1 != 0:
                pass
                self.solver_order._fetch_instances()

            if self.bitmap.value >> 11 & 1 != 0:
                pass
                self.use_exponential_sigmas._fetch_instances()

            if self.bitmap.value >> 12 & 1 != 0:
                pass
                self.use_beta_sigmas._fetch_instances()

            if self.bitmap.value >> 13 & 1 != 0:
                pass
                self.shift._fetch_instances()

            if self.bitmap.value >> 14 & 1 != 0:
                pass
                self.use_dynamic_shifting._fetch_instances()

            if self.bitmap.value >> 15 & 1 != 0:
                pass
                self.clip_sample._fetch_instances()

            if self.bitmap.value >> 16 & 1 != 0:
                pass
                self.set_alpha_to_one._fetch_instances()

            if self.bitmap.value >> 17 & 1 != 0:
                pass
                self.lower_order_final._fetch_instances()

            if self.bitmap.value >> 18 & 1 != 0:
                pass
                self.euler_at_final._fetch_instances()

            if self.bitmap.value >> 19 & 1 != 0:
                pass
                self.thresholding._fetch_instances()



    class Signature(KaitaiStruct):
        """The signature, one byte at a time, so that a file shorter than 4 bytes is
        "not AIGIF" when its bytes differ from the signature's first bytes and
        "truncated" when they match.
        
        .. seealso::
           spec/bitstream.md#3-signature-and-version
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Signature, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.byte_0 = self._io.read_bytes(1)
            if not self.byte_0 == b"\x89":
                raise kaitaistruct.ValidationNotEqualError(b"\x89", self.byte_0, self._io, u"/types/signature/seq/0")
            self.byte_1 = self._io.read_bytes(1)
            if not self.byte_1 == b"\x41":
                raise kaitaistruct.ValidationNotEqualError(b"\x41", self.byte_1, self._io, u"/types/signature/seq/1")
            self.byte_2 = self._io.read_bytes(1)
            if not self.byte_2 == b"\x49":
                raise kaitaistruct.ValidationNotEqualError(b"\x49", self.byte_2, self._io, u"/types/signature/seq/2")
            self.byte_3 = self._io.read_bytes(1)
            if not self.byte_3 == b"\x47":
                raise kaitaistruct.ValidationNotEqualError(b"\x47", self.byte_3, self._io, u"/types/signature/seq/3")


        def _fetch_instances(self):
            pass


    class Software(KaitaiStruct):
        """Extension type 8, software: name and version of the generating program (e.g. AUTOMATIC1111 stable-diffusion-webui v1.10.1). The codes' registry check and the rules across fields (spec section 9.4) are the reader's.
        
        .. seealso::
           spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Software, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_must_understand = self._io.read_bytes(0)
            _ = self.check_must_understand
            if not (not (self._parent.must_understand)):
                raise kaitaistruct.ValidationExprError(self.check_must_understand, self._io, u"/types/software/seq/0")
            self.name_len = Aigif.Uvarint(self._io, self, self._root)
            _ = self.name_len
            if not _.value <= 255:
                raise kaitaistruct.ValidationExprError(self.name_len, self._io, u"/types/software/seq/1")
            self.name = (self._io.read_bytes(self.name_len.value)).decode(u"UTF-8")
            self.version_len = Aigif.Uvarint(self._io, self, self._root)
            _ = self.version_len
            if not _.value <= 255:
                raise kaitaistruct.ValidationExprError(self.version_len, self._io, u"/types/software/seq/3")
            self.version = (self._io.read_bytes(self.version_len.value)).decode(u"UTF-8")
            self.check_end = self._io.read_bytes(0)
            _ = self.check_end
            if not self._io.is_eof():
                raise kaitaistruct.ValidationExprError(self.check_end, self._io, u"/types/software/seq/5")


        def _fetch_instances(self):
            pass
            self.name_len._fetch_instances()
            self.version_len._fetch_instances()


    class SourceMetadata(KaitaiStruct):
        """Extension type 9, source_metadata: the imported file's metadata, verbatim (e.g. PNG `parameters`, ComfyUI `prompt` and `workflow`). The codes' registry check and the rules across fields (spec section 9.4) are the reader's.
        
        .. seealso::
           spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.SourceMetadata, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_must_understand = self._io.read_bytes(0)
            _ = self.check_must_understand
            if not (not (self._parent.must_understand)):
                raise kaitaistruct.ValidationExprError(self.check_must_understand, self._io, u"/types/source_metadata/seq/0")
            self.entries_count = Aigif.Uvarint(self._io, self, self._root)
            _ = self.entries_count
            if not  ((_.value >= 1) and (_.value <= 64)) :
                raise kaitaistruct.ValidationExprError(self.entries_count, self._io, u"/types/source_metadata/seq/1")
            self.entries = []
            for i in range(self.entries_count.value):
                self.entries.append(Aigif.SourceMetadataEntriesItem(self._io, self, self._root))

            self.unmapped_len = Aigif.Uvarint(self._io, self, self._root)
            _ = self.unmapped_len
            if not _.value <= 65535:
                raise kaitaistruct.ValidationExprError(self.unmapped_len, self._io, u"/types/source_metadata/seq/3")
            self.unmapped = (self._io.read_bytes(self.unmapped_len.value)).decode(u"UTF-8")
            self.check_end = self._io.read_bytes(0)
            _ = self.check_end
            if not self._io.is_eof():
                raise kaitaistruct.ValidationExprError(self.check_end, self._io, u"/types/source_metadata/seq/5")


        def _fetch_instances(self):
            pass
            self.entries_count._fetch_instances()
            for i in range(len(self.entries)):
                pass
                self.entries[i]._fetch_instances()

            self.unmapped_len._fetch_instances()


    class SourceMetadataEntriesItem(KaitaiStruct):
        """One entry of source_metadata.entries.
        
        .. seealso::
           spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.SourceMetadataEntriesItem, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.key_len = Aigif.Uvarint(self._io, self, self._root)
            _ = self.key_len
            if not _.value <= 255:
                raise kaitaistruct.ValidationExprError(self.key_len, self._io, u"/types/source_metadata_entries_item/seq/0")
            self.key = (self._io.read_bytes(self.key_len.value)).decode(u"UTF-8")
            self.text_len = Aigif.Uvarint(self._io, self, self._root)
            _ = self.text_len
            if not _.value <= 33554432:
                raise kaitaistruct.ValidationExprError(self.text_len, self._io, u"/types/source_metadata_entries_item/seq/2")
            self.text = (self._io.read_bytes(self.text_len.value)).decode(u"UTF-8")


        def _fetch_instances(self):
            pass
            self.key_len._fetch_instances()
            self.text_len._fetch_instances()


    class Stages(KaitaiStruct):
        """Extension type 6, stages: first-pass size, then each later stage (hires fix: upscaler, size, steps, denoising strength, scheduler; refiner: steps, scheduler, model, denoising start). The codes' registry check and the rules across fields (spec section 9.4) are the reader's.
        
        .. seealso::
           spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Stages, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_must_understand = self._io.read_bytes(0)
            _ = self.check_must_understand
            if not self._parent.must_understand:
                raise kaitaistruct.ValidationExprError(self.check_must_understand, self._io, u"/types/stages/seq/0")
            self.base_height_units = Aigif.Uvarint(self._io, self, self._root)
            _ = self.base_height_units
            if not  ((_.value >= 1) and (_.value <= 2048)) :
                raise kaitaistruct.ValidationExprError(self.base_height_units, self._io, u"/types/stages/seq/1")
            self.base_width_units = Aigif.Uvarint(self._io, self, self._root)
            _ = self.base_width_units
            if not  ((_.value >= 1) and (_.value <= 2048)) :
                raise kaitaistruct.ValidationExprError(self.base_width_units, self._io, u"/types/stages/seq/2")
            self.stages_count = Aigif.Uvarint(self._io, self, self._root)
            _ = self.stages_count
            if not  ((_.value >= 1) and (_.value <= 8)) :
                raise kaitaistruct.ValidationExprError(self.stages_count, self._io, u"/types/stages/seq/3")
            self.stages = []
            for i in range(self.stages_count.value):
                self.stages.append(Aigif.StagesStagesItem(self._io, self, self._root))

            self.check_end = self._io.read_bytes(0)
            _ = self.check_end
            if not self._io.is_eof():
                raise kaitaistruct.ValidationExprError(self.check_end, self._io, u"/types/stages/seq/5")


        def _fetch_instances(self):
            pass
            self.base_height_units._fetch_instances()
            self.base_width_units._fetch_instances()
            self.stages_count._fetch_instances()
            for i in range(len(self.stages)):
                pass
                self.stages[i]._fetch_instances()


        @property
        def base_height(self):
            """Height of the first pass in pixels (pixels).
            
            .. seealso::
               spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
            """
            if hasattr(self, '_m_base_height'):
                return self._m_base_height

            self._m_base_height = self.base_height_units.value * 8
            return getattr(self, '_m_base_height', None)

        @property
        def base_width(self):
            """Width of the first pass in pixels (pixels).
            
            .. seealso::
               spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
            """
            if hasattr(self, '_m_base_width'):
                return self._m_base_width

            self._m_base_width = self.base_width_units.value * 8
            return getattr(self, '_m_base_width', None)


    class StagesStagesItem(KaitaiStruct):
        """One entry of stages.stages.
        
        .. seealso::
           spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.StagesStagesItem, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.kind = Aigif.ExpCode(self._io, self, self._root)
            _ = self.kind
            if not  ((_.value == 0) or (_.value == 1)) :
                raise kaitaistruct.ValidationExprError(self.kind, self._io, u"/types/stages_stages_item/seq/0")
            if self.kind.value == 0:
                pass
                self.upscaler = Aigif.ExpCode(self._io, self, self._root)

            if self.kind.value == 0:
                pass
                self.height_units = Aigif.Uvarint(self._io, self, self._root)
                _ = self.height_units
                if not  ((_.value >= 1) and (_.value <= 2048)) :
                    raise kaitaistruct.ValidationExprError(self.height_units, self._io, u"/types/stages_stages_item/seq/2")

            if self.kind.value == 0:
                pass
                self.width_units = Aigif.Uvarint(self._io, self, self._root)
                _ = self.width_units
                if not  ((_.value >= 1) and (_.value <= 2048)) :
                    raise kaitaistruct.ValidationExprError(self.width_units, self._io, u"/types/stages_stages_item/seq/3")

            self.steps = Aigif.Uvarint(self._io, self, self._root)
            _ = self.steps
            if not  ((_.value >= 1) and (_.value <= 1000)) :
                raise kaitaistruct.ValidationExprError(self.steps, self._io, u"/types/stages_stages_item/seq/4")
            if self.kind.value == 0:
                pass
                self.denoising_strength = Aigif.Cfloat(self._io, self, self._root)

            self.scheduler = Aigif.ExpCode(self._io, self, self._root)
            if self.kind.value == 1:
                pass
                self.model_id = Aigif.ExpCode(self._io, self, self._root)

            if self.kind.value == 1:
                pass
                self.denoising_start = Aigif.Cfloat(self._io, self, self._root)



        def _fetch_instances(self):
            pass
            self.kind._fetch_instances()
            if self.kind.value == 0:
                pass
                self.upscaler._fetch_instances()

            if self.kind.value == 0:
                pass
                self.height_units._fetch_instances()

            if self.kind.value == 0:
                pass
                self.width_units._fetch_instances()

            self.steps._fetch_instances()
            if self.kind.value == 0:
                pass
                self.denoising_strength._fetch_instances()

            self.scheduler._fetch_instances()
            if self.kind.value == 1:
                pass
                self.model_id._fetch_instances()

            if self.kind.value == 1:
                pass
                self.denoising_start._fetch_instances()


        @property
        def height(self):
            """Height after this stage in pixels (only when kind is 0) (pixels).
            
            .. seealso::
               spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
            """
            if hasattr(self, '_m_height'):
                return self._m_height

            if self.kind.value == 0:
                pass
                self._m_height = self.height_units.value * 8

            return getattr(self, '_m_height', None)

        @property
        def width(self):
            """Width after this stage in pixels (only when kind is 0) (pixels).
            
            .. seealso::
               spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
            """
            if hasattr(self, '_m_width'):
                return self._m_width

            if self.kind.value == 0:
                pass
                self._m_width = self.width_units.value * 8

            return getattr(self, '_m_width', None)


    class TextBlock(KaitaiStruct):
        """Text compressor, block length and the compressed block. Kaitai Struct does not decode the block: the
        compressors other than 0 (1 zlib; 2 phrase-huffman-v1, model spec/text/phrase-huffman-v1.json; 3
        tag-context-v1, model spec/text/tag-context-v1.json; 4 tag-lookup-v1, model
        spec/text/tag-lookup-v1.json; 5 tag-prefix-v1, model spec/text/tag-prefix-v1.json; spec/text/
        describes each) and the UTF-8 check are beyond it. A reader decodes `data` into one string, or two
        when the presence bitmap's bit 0 is set.
        
        .. seealso::
           spec/bitstream.md#7-text-block
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.TextBlock, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.compressor = Aigif.ExpCode(self._io, self, self._root)
            self.length = Aigif.Uvarint(self._io, self, self._root)
            _ = self.length
            if not _.value <= 65536:
                raise kaitaistruct.ValidationExprError(self.length, self._io, u"/types/text_block/seq/1")
            self.data = self._io.read_bytes(self.length.value)


        def _fetch_instances(self):
            pass
            self.compressor._fetch_instances()
            self.length._fetch_instances()


    class UnknownExtension(KaitaiStruct):
        """An extension type this grammar does not know; kept as bytes.
        
        .. seealso::
           spec/bitstream.md#9-extension-records
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.UnknownExtension, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.check_must_understand = self._io.read_bytes(0)
            _ = self.check_must_understand
            if not (not (self._parent.must_understand)):
                raise kaitaistruct.ValidationExprError(self.check_must_understand, self._io, u"/types/unknown_extension/seq/0")
            self.data = self._io.read_bytes_full()


        def _fetch_instances(self):
            pass


    class Uvarint(KaitaiStruct):
        """Unsigned LEB128 of a 64-bit value in canonical form: 7 bits per byte, least
        significant group first, high bit set on every byte but the last; at most
        10 bytes, no redundant trailing zero group, the value below 2**64.
        
        .. seealso::
           spec/bitstream.md#51-uvarint
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Uvarint, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.groups = []
            i = 0
            while True:
                _ = self._io.read_u1()
                self.groups.append(_)
                if  ((_ < 128) or (i == 9)) :
                    break
                i += 1
            self.check_length = self._io.read_bytes(0)
            _ = self.check_length
            if not self.groups[-1] < 128:
                raise kaitaistruct.ValidationExprError(self.check_length, self._io, u"/types/uvarint/seq/1")
            self.check_minimal = self._io.read_bytes(0)
            _ = self.check_minimal
            if not  ((len(self.groups) == 1) or (self.groups[-1] != 0)) :
                raise kaitaistruct.ValidationExprError(self.check_minimal, self._io, u"/types/uvarint/seq/2")
            self.check_64_bits = self._io.read_bytes(0)
            _ = self.check_64_bits
            if not  ((len(self.groups) < 10) or (self.groups[-1] <= 1)) :
                raise kaitaistruct.ValidationExprError(self.check_64_bits, self._io, u"/types/uvarint/seq/3")


        def _fetch_instances(self):
            pass
            for i in range(len(self.groups)):
                pass


        @property
        def value(self):
            """The decoded value.
            
            .. seealso::
               spec/bitstream.md#51-uvarint
            """
            if hasattr(self, '_m_value'):
                return self._m_value

            self._m_value = ((((((((self.groups[0] & 127 | ((self.groups[1] & 127) << 7 if len(self.groups) > 1 else 0)) | ((self.groups[2] & 127) << 14 if len(self.groups) > 2 else 0)) | ((self.groups[3] & 127) << 21 if len(self.groups) > 3 else 0)) | ((self.groups[4] & 127) << 28 if len(self.groups) > 4 else 0)) | ((self.groups[5] & 127) << 35 if len(self.groups) > 5 else 0)) | ((self.groups[6] & 127) << 42 if len(self.groups) > 6 else 0)) | ((self.groups[7] & 127) << 49 if len(self.groups) > 7 else 0)) | ((self.groups[8] & 127) << 56 if len(self.groups) > 8 else 0)) | ((self.groups[9] & 127) << 63 if len(self.groups) > 9 else 0)
            return getattr(self, '_m_value', None)


    class Version(KaitaiStruct):
        """A software version MAJOR.MINOR.PATCH as three uvarints, each at most 65535.
        
        .. seealso::
           spec/bitstream.md#54-bool-pair-version-size
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Aigif.Version, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.major = Aigif.Uvarint(self._io, self, self._root)
            self.check_major = self._io.read_bytes(0)
            _ = self.check_major
            if not self.major.value <= 65535:
                raise kaitaistruct.ValidationExprError(self.check_major, self._io, u"/types/version/seq/1")
            self.minor = Aigif.Uvarint(self._io, self, self._root)
            self.check_minor = self._io.read_bytes(0)
            _ = self.check_minor
            if not self.minor.value <= 65535:
                raise kaitaistruct.ValidationExprError(self.check_minor, self._io, u"/types/version/seq/3")
            self.patch = Aigif.Uvarint(self._io, self, self._root)
            self.check_patch = self._io.read_bytes(0)
            _ = self.check_patch
            if not self.patch.value <= 65535:
                raise kaitaistruct.ValidationExprError(self.check_patch, self._io, u"/types/version/seq/5")


        def _fetch_instances(self):
            pass
            self.major._fetch_instances()
            self.minor._fetch_instances()
            self.patch._fetch_instances()



